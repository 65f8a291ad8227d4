package android.media;

import java.io.IOException;

/** Writes nothing; the calls and their order are what the audit looks at. */
public class MediaRecorder {
    private String mPath;
    private boolean mPrepared;
    private boolean mRecording;
    private int mAudioSource = -1;

    public MediaRecorder() {}

    public final class AudioSource {
        public static final int DEFAULT = 0;
        public static final int MIC = 1;
        public static final int VOICE_COMMUNICATION = 7;

        private AudioSource() {}
    }

    public final class VideoSource {
        public static final int DEFAULT = 0;
        public static final int CAMERA = 1;

        private VideoSource() {}
    }

    public void setAudioSource(int audioSource) { mAudioSource = audioSource; }
    public void setVideoSource(int videoSource) {}
    public void setOutputFormat(int outputFormat) {}
    public void setAudioEncoder(int audioEncoder) {}
    public void setOutputFile(String path) { mPath = path; }

    public void prepare() throws IOException {
        if (mPath == null) throw new IllegalStateException("output file not set");
        mPrepared = true;
    }

    public void start() {
        if (!mPrepared) throw new IllegalStateException("start called in an invalid state");
        mRecording = true;
    }

    public void stop() {
        if (!mRecording) throw new IllegalStateException("stop called in an invalid state");
        mRecording = false;
    }

    public void reset() {
        mPrepared = false;
        mRecording = false;
    }

    public void release() {
        reset();
    }
}
