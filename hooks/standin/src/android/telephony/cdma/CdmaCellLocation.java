package android.telephony.cdma;

import android.telephony.CellLocation;

public class CdmaCellLocation extends CellLocation {
    private int mBaseStationId = -1;
    private int mSystemId = -1;
    private int mNetworkId = -1;

    public CdmaCellLocation() {}

    public void setCellLocationData(int baseStationId, int baseStationLatitude, int baseStationLongitude, int systemId, int networkId) {
        mBaseStationId = baseStationId;
        mSystemId = systemId;
        mNetworkId = networkId;
    }

    public int getBaseStationId() { return mBaseStationId; }

    public int getSystemId() { return mSystemId; }

    public int getNetworkId() { return mNetworkId; }
}
