package com.android.internal.standin.screen;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.GraphicsEnvironment;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A PNG of the screen (what `screencap -p` returns): every window bottom to top, drawn with
 * java.awt in headless mode at 1080 x 2400. A dialog or the permission prompt dims what is
 * below it; text is drawn in the first installed font that can show Chinese (Noto Sans CJK
 * SC when present), line by line as ScreenLayout wrapped it.
 */
final class ScreenRender {
    static final String[] PREFERRED_FONTS = {"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
            "Noto Sans CJK JP", "Noto Serif CJK SC", "Droid Sans Fallback"};
    static final String PROBE = "同意不同意隐私政策";
    private static final Color BACKGROUND = new Color(0xF6, 0xF7, 0xF9);
    private static final Color BAR = new Color(0xE5, 0x39, 0x35);
    private static final Color SCRIM = new Color(0, 0, 0, 0x99);
    private static final Color INK = new Color(0x20, 0x21, 0x24);
    private static final Color SUBTLE = new Color(0x5F, 0x63, 0x68);
    private static final Color ACCENT = new Color(0x1A, 0x73, 0xE8);
    private static final Color PILL = new Color(0xE8, 0xF0, 0xFE);

    private static String sFamily;

    private ScreenRender() {}

    /** The font family used for text; names the fallback when no installed font shows Chinese. */
    static synchronized String family() {
        if (sFamily == null) {
            System.setProperty("java.awt.headless", "true");
            String found = null;
            String[] installed = GraphicsEnvironment.getLocalGraphicsEnvironment().getAvailableFontFamilyNames();
            for (String want : PREFERRED_FONTS) {
                for (String have : installed) {
                    if (have.equalsIgnoreCase(want) && new Font(have, Font.PLAIN, 12).canDisplayUpTo(PROBE) == -1) {
                        found = have;
                        break;
                    }
                }
                if (found != null) break;
            }
            if (found == null) {
                for (String have : installed) {
                    if (new Font(have, Font.PLAIN, 12).canDisplayUpTo(PROBE) == -1) {
                        found = have;
                        break;
                    }
                }
            }
            if (found == null) {
                System.err.println("standin: warning: no installed font shows Chinese; screenshots draw boxes for it (install fonts-noto-cjk)");
                found = Font.SANS_SERIF;
            }
            sFamily = found;
        }
        return sFamily;
    }

    static byte[] png() throws IOException {
        List<Screen.Win> windows = Screen.windows();
        String family = family();
        BufferedImage img = new BufferedImage(ScreenLayout.WIDTH, ScreenLayout.HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.BLACK);
            g.fillRect(0, 0, ScreenLayout.WIDTH, ScreenLayout.HEIGHT);
            for (Screen.Win w : windows) {
                if (w.modal) {
                    g.setColor(SCRIM);
                    g.fillRect(0, 0, ScreenLayout.WIDTH, ScreenLayout.HEIGHT);
                }
                if (w.owner instanceof android.app.Activity) {
                    g.setColor(BACKGROUND);
                    g.fillRect(0, 0, ScreenLayout.WIDTH, ScreenLayout.HEIGHT);
                    g.setColor(BAR);
                    g.fillRect(0, 0, ScreenLayout.WIDTH, 220);
                    g.setColor(Color.WHITE);
                    g.setFont(new Font(family, Font.BOLD, 60));
                    g.drawString(Screen.appLabel(), 60, 160);
                }
                draw(g, w.root, family);
            }
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    private static void draw(Graphics2D g, Node n, String family) {
        switch (n.role) {
            case PANEL:
                g.setColor(Color.WHITE);
                g.fillRoundRect(n.left, n.top, n.width(), n.height(), 48, 48);
                break;
            case ICON:
                g.setColor(ACCENT);
                g.fillOval(n.left, n.top, n.width(), n.height());
                break;
            case TITLE:
                text(g, n, new Font(family, Font.BOLD, Math.round(n.textSize)), INK, false);
                break;
            case TEXT:
                text(g, n, new Font(family, Font.PLAIN, Math.round(n.textSize)), SUBTLE, false);
                break;
            case BUTTON:
                if (PermissionPrompt.PACKAGE.equals(n.pkg)) {
                    g.setColor(PILL);
                    g.fillRoundRect(n.left, n.top, n.width(), n.height(), n.height(), n.height());
                }
                text(g, n, new Font(family, Font.BOLD, Math.round(n.textSize)), n.enabled ? ACCENT : SUBTLE, true);
                break;
            case CHECKBOX:
                int box = ScreenLayout.CHECKBOX_BOX;
                int bx = n.left + ScreenLayout.TEXT_PAD_H;
                int by = n.top + (n.height() - box) / 2;
                g.setColor(ACCENT);
                g.setStroke(new BasicStroke(6f));
                g.drawRoundRect(bx, by, box, box, 12, 12);
                if (n.checked) {
                    g.fillRoundRect(bx, by, box, box, 12, 12);
                    g.setColor(Color.WHITE);
                    g.drawPolyline(new int[] {bx + 14, bx + 28, bx + 54}, new int[] {by + 34, by + 50, by + 18}, 3);
                }
                Node shifted = new Node(Node.Role.TEXT);
                shifted.setBounds(n.left + box + 24, n.top, n.right, n.bottom);
                shifted.lines = n.lines;
                shifted.textSize = n.textSize;
                text(g, shifted, new Font(family, Font.PLAIN, Math.round(n.textSize)), INK, false);
                break;
            default:
                break;
        }
        for (Node c : n.children) draw(g, c, family);
    }

    private static void text(Graphics2D g, Node n, Font font, Color color, boolean centred) {
        if (n.lines.isEmpty()) return;
        g.setFont(font);
        g.setColor(color);
        FontMetrics fm = g.getFontMetrics();
        int lh = ScreenLayout.lineHeight(n.textSize);
        int blockH = lh * n.lines.size();
        int y = centred ? n.top + (n.height() - blockH) / 2 : n.top + ScreenLayout.TEXT_PAD_V;
        for (String line : n.lines) {
            int x = centred ? n.left + (n.width() - fm.stringWidth(line.replace('\u2019', '\''))) / 2 : n.left + ScreenLayout.TEXT_PAD_H;
            g.drawString(line.replace('\u2019', '\''), x, y + (lh + fm.getAscent() - fm.getDescent()) / 2);
            y += lh;
        }
    }
}
