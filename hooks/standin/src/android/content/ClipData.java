package android.content;

import java.util.ArrayList;

public class ClipData {
    private final ClipDescription mClipDescription;
    private final ArrayList<Item> mItems = new ArrayList<>();

    public ClipData(CharSequence label, String[] mimeTypes, Item item) {
        this(new ClipDescription(label, mimeTypes), item);
    }

    public ClipData(ClipDescription description, Item item) {
        mClipDescription = description;
        if (item == null) throw new NullPointerException("item is null");
        mItems.add(item);
    }

    public static ClipData newPlainText(CharSequence label, CharSequence text) {
        return new ClipData(label, new String[] {ClipDescription.MIMETYPE_TEXT_PLAIN}, new Item(text));
    }

    public ClipDescription getDescription() { return mClipDescription; }

    public void addItem(Item item) { mItems.add(item); }

    public int getItemCount() { return mItems.size(); }

    public Item getItemAt(int index) { return mItems.get(index); }

    @Override public String toString() { return "ClipData { " + mClipDescription + " items=" + mItems.size() + " }"; }

    public static class Item {
        final CharSequence mText;
        final Intent mIntent;

        public Item(CharSequence text) {
            mText = text;
            mIntent = null;
        }

        public Item(Intent intent) {
            mText = null;
            mIntent = intent;
        }

        public CharSequence getText() { return mText; }

        public Intent getIntent() { return mIntent; }

        public CharSequence coerceToText(Context context) {
            if (mText != null) return mText;
            return mIntent != null ? mIntent.toString() : "";
        }

        @Override public String toString() { return "ClipData.Item { T:" + mText + " }"; }
    }
}
