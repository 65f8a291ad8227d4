package com.bun.miitmdid.pojo;

import com.bun.miitmdid.interfaces.IdSupplier;

/** The vendor-backed supplier the SDK hands to its listener. */
public class IdSupplierImpl implements IdSupplier {
    public static final String OAID = "0a1d5e7c-fixt-ure0-oaid-9e8d7c6b5a40";

    @Override
    public boolean isSupported() {
        return true;
    }

    @Override
    public String getOAID() {
        return OAID;
    }

    @Override
    public String getVAID() {
        return "";
    }

    @Override
    public String getAAID() {
        return "";
    }
}
