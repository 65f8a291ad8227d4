package android.view;

public interface WindowManager extends ViewManager {
    void removeViewImmediate(View view);

    class LayoutParams extends ViewGroup.LayoutParams {
        public static final int TYPE_APPLICATION = 2;
        public static final int TYPE_APPLICATION_PANEL = 1000;

        public int type;
        public int flags;
        public int gravity;
        public int x;
        public int y;
        private CharSequence mTitle = "";

        public LayoutParams() {
            super(MATCH_PARENT, MATCH_PARENT);
            type = TYPE_APPLICATION;
        }

        public LayoutParams(int type) {
            super(MATCH_PARENT, MATCH_PARENT);
            this.type = type;
        }

        public final void setTitle(CharSequence title) {
            mTitle = title == null ? "" : title;
        }

        public final CharSequence getTitle() {
            return mTitle;
        }
    }
}
