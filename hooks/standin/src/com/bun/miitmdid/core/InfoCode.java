package com.bun.miitmdid.core;

public class InfoCode {
    public static final int INIT_INFO_RESULT_OK = 1008610;
    public static final int INIT_INFO_RESULT_DELAY = 1008614;

    public InfoCode() {}
}
