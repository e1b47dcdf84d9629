package io.remem.bench.suite;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import java.io.IOException;
import java.util.Map;

/**
 * A YCSB field update on the member: only the field travels, and a record that is not there stays absent (an
 * update is not an insert), which a client-side get-modify-set could not promise under concurrent deletes.
 */
final class UpdateIfPresent implements EntryProcessor<String, byte[], Boolean>, IdentifiedDataSerializable {
    private int offset;
    private byte[] bytes;

    /** For the serialization factory. */
    UpdateIfPresent() {}

    UpdateIfPresent(int offset, byte[] bytes) {
        this.offset = offset;
        this.bytes = bytes;
    }

    @Override
    public Boolean process(Map.Entry<String, byte[]> entry) {
        byte[] record = entry.getValue();
        if (record == null) {
            return Boolean.FALSE;
        }
        System.arraycopy(bytes, 0, record, offset, bytes.length);
        entry.setValue(record);
        return Boolean.TRUE;
    }

    @Override
    public int getFactoryId() {
        return HazelcastSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return HazelcastSerialization.UPDATE_IF_PRESENT;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeInt(offset);
        out.writeByteArray(bytes);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        offset = in.readInt();
        bytes = in.readByteArray();
    }
}
