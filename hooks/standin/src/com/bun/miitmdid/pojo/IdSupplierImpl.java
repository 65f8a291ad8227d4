package com.bun.miitmdid.pojo;

import com.android.internal.standin.DeviceValues;
import com.bun.miitmdid.interfaces.IdSupplier;

/** What the MSA SDK gets from the phone vendor's ID service: the device profile's OAID. */
public class IdSupplierImpl implements IdSupplier {
    public IdSupplierImpl() {}

    @Override public boolean isSupported() { return true; }
    @Override public boolean isLimited() { return false; }
    @Override public String getOAID() { return DeviceValues.get("oaid"); }
    @Override public String getVAID() { return ""; }
    @Override public String getAAID() { return ""; }
}
