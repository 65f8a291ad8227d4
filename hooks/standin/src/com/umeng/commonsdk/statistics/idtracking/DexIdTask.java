package com.umeng.commonsdk.statistics.idtracking;

import android.content.Context;
import java.util.function.Function;

/**
 * The same identifier read, from a class the app loads through a loader of its own
 * (`RepackagedReads.SdkDexLoader`), as an SDK shipped in its own dex file would be.
 */
public final class DexIdTask implements Function<Context, String> {
    @Override
    public String apply(Context context) {
        return a.a.a.a(context);
    }
}
