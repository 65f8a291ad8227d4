// Sets (or clears) the device's primary clip from inside a running app, as the app itself would:
// ClipboardManager.setPrimaryClip(ClipData.newPlainText(label, text)) / clearPrimaryClip(), on the
// app's main thread. Used by `piiaudit device setup` to plant the clipboard canary, because Android
// 13/14 have no shell command that sets the clipboard (hooks/clipboard.py says why).
import Java from "frida-java-bridge";

rpc.exports = {
  setClip(text: string | null, label: string): Promise<string> {
    return new Promise((resolve, reject) => {
      Java.perform(() => {
        const app = Java.use("android.app.ActivityThread").currentApplication();
        if (app === null) {
          reject(new Error("the process has no Application yet"));
          return;
        }
        const manager = Java.cast(app.getSystemService("clipboard"), Java.use("android.content.ClipboardManager"));
        Java.scheduleOnMainThread(() => {
          try {
            if (text === null) {
              manager.clearPrimaryClip();
              resolve("cleared");
            } else {
              manager.setPrimaryClip(Java.use("android.content.ClipData").newPlainText(label, text));
              resolve("set");
            }
          } catch (e) {
            reject(e);
          }
        });
      });
    });
  },
};
