package android.telephony;

@Deprecated
public abstract class CellLocation {
    public CellLocation() {}
}
