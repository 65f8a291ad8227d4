package android.accounts;

import android.content.Context;
import com.android.internal.standin.DeviceValues;
import java.util.ArrayList;
import java.util.List;

public class AccountManager {
    private final Context mContext;

    /** Hidden constructor used by the system service registry. */
    public AccountManager(Context context) {
        mContext = context;
    }

    public static AccountManager get(Context context) {
        if (context == null) throw new IllegalArgumentException("context is null");
        return (AccountManager) context.getSystemService(Context.ACCOUNT_SERVICE);
    }

    public Account[] getAccounts() {
        List<Account> out = new ArrayList<>();
        String email = DeviceValues.get("email");
        if (email != null) out.add(new Account(email, "com.google"));
        out.add(new Account(DeviceValues.get("phone_number"), "com.tencent.mm.account"));
        return out.toArray(new Account[0]);
    }

    public Account[] getAccountsByType(String type) {
        List<Account> out = new ArrayList<>();
        for (Account a : getAccounts()) if (type == null || a.type.equals(type)) out.add(a);
        return out.toArray(new Account[0]);
    }
}
