package android.view;

import android.content.Context;
import java.util.ArrayList;

public abstract class ViewGroup extends View implements ViewParent, ViewManager {
    private final ArrayList<View> mChildren = new ArrayList<>();

    public ViewGroup(Context context) {
        super(context);
    }

    public int getChildCount() {
        return mChildren.size();
    }

    public View getChildAt(int index) {
        return index < 0 || index >= mChildren.size() ? null : mChildren.get(index);
    }

    public int indexOfChild(View child) {
        return mChildren.indexOf(child);
    }

    public void addView(View child) {
        addView(child, -1);
    }

    public void addView(View child, int index) {
        if (child.getParent() != null) throw new IllegalStateException("The specified child already has a parent. You must call removeView() on the child's parent first.");
        if (index < 0) mChildren.add(child); else mChildren.add(index, child);
        child.assignParent(this);
        if (isAttachedToWindow()) child.dispatchAttachedToWindow();
    }

    @Override
    public void addView(View child, LayoutParams params) {
        addView(child, -1);
    }

    @Override
    public void updateViewLayout(View view, LayoutParams params) {}

    @Override
    public void removeView(View view) {
        if (mChildren.remove(view)) {
            view.assignParent(null);
            if (view.isAttachedToWindow()) view.dispatchDetachedFromWindow();
        }
    }

    public void removeAllViews() {
        for (View v : new ArrayList<>(mChildren)) removeView(v);
    }

    @Override
    void dispatchAttachedToWindow() {
        super.dispatchAttachedToWindow();
        for (View child : mChildren) child.dispatchAttachedToWindow();
    }

    @Override
    void dispatchDetachedFromWindow() {
        for (View child : mChildren) child.dispatchDetachedFromWindow();
        super.dispatchDetachedFromWindow();
    }

    public static class LayoutParams {
        public static final int MATCH_PARENT = -1;
        public static final int WRAP_CONTENT = -2;

        public int width;
        public int height;

        public LayoutParams(int width, int height) {
            this.width = width;
            this.height = height;
        }

        public LayoutParams(LayoutParams source) {
            this.width = source.width;
            this.height = source.height;
        }
    }
}
