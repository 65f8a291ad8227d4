package android.media;

/** Records silence. */
public class AudioRecord {
    public static final int RECORDSTATE_STOPPED = 1;
    public static final int RECORDSTATE_RECORDING = 3;
    public static final int STATE_INITIALIZED = 1;

    private final int mAudioSource;
    private int mRecordingState = RECORDSTATE_STOPPED;

    public AudioRecord(int audioSource, int sampleRateInHz, int channelConfig, int audioFormat, int bufferSizeInBytes)
            throws IllegalArgumentException {
        mAudioSource = audioSource;
    }

    public static int getMinBufferSize(int sampleRateInHz, int channelConfig, int audioFormat) {
        return 3840;
    }

    public int getState() { return STATE_INITIALIZED; }
    public int getRecordingState() { return mRecordingState; }
    public int getAudioSource() { return mAudioSource; }

    public void startRecording() {
        mRecordingState = RECORDSTATE_RECORDING;
    }

    public void startRecording(MediaSyncEvent syncEvent) {
        mRecordingState = RECORDSTATE_RECORDING;
    }

    public int read(byte[] audioData, int offsetInBytes, int sizeInBytes) {
        java.util.Arrays.fill(audioData, offsetInBytes, offsetInBytes + sizeInBytes, (byte) 0);
        return sizeInBytes;
    }

    public void stop() {
        mRecordingState = RECORDSTATE_STOPPED;
    }

    public void release() {
        stop();
    }
}
