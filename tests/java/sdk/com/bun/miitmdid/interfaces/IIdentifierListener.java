package com.bun.miitmdid.interfaces;

public interface IIdentifierListener {
    void onSupport(IdSupplier supplier);
}
