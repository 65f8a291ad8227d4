package dalvik.system;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;

/**
 * Android's base of PathClassLoader and DexClassLoader. Here the "dex path" is a
 * File.pathSeparator-separated list of class directories or jars, read by the JVM's
 * URLClassLoader; the constructor's shape is Android's.
 */
public class BaseDexClassLoader extends URLClassLoader {
    public BaseDexClassLoader(String dexPath, File optimizedDirectory, String librarySearchPath, ClassLoader parent) {
        super(urls(dexPath), parent);
    }

    private static URL[] urls(String dexPath) {
        String[] parts = dexPath.split(File.pathSeparator);
        URL[] urls = new URL[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                urls[i] = new File(parts[i]).toURI().toURL();
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException(dexPath, e);
            }
        }
        return urls;
    }

    @Override
    public String toString() {
        return getClass().getName() + "[" + java.util.Arrays.toString(getURLs()) + "]";
    }
}
