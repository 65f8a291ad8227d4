package com.bun.miitmdid.interfaces;

/** The MSA SDK's supplier interface (com.bun.miitmdid.interfaces, MSA 1.0.26+). */
public interface IdSupplier {
    boolean isSupported();

    String getOAID();

    String getVAID();

    String getAAID();
}
