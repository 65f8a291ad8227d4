package dalvik.system;

/** Android's loader of an installed APK's dex files (here: class directories or jars). */
public class PathClassLoader extends BaseDexClassLoader {
    public PathClassLoader(String dexPath, ClassLoader parent) {
        super(dexPath, null, null, parent);
    }
}
