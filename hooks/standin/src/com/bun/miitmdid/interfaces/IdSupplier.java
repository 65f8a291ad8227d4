package com.bun.miitmdid.interfaces;

public interface IdSupplier {
    boolean isSupported();

    boolean isLimited();

    String getOAID();

    String getVAID();

    String getAAID();
}
