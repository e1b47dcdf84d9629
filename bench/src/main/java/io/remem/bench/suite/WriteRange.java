package io.remem.bench.suite;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import java.io.IOException;
import java.util.Map;

/**
 * Writes bytes into one chunk of a {@link HazelcastArrayStore} on the member. It runs on the chunk's partition
 * thread, so writes by different clients to other parts of the same chunk are not lost the way a get-modify-set
 * from the client would lose them; a missing chunk is one that was never written, so it starts as zeros.
 */
final class WriteRange implements EntryProcessor<Long, byte[], Object>, IdentifiedDataSerializable {
    private int offset;
    private byte[] bytes;

    /** For the serialization factory. */
    WriteRange() {}

    WriteRange(int offset, byte[] bytes) {
        this.offset = offset;
        this.bytes = bytes;
    }

    @Override
    public Object process(Map.Entry<Long, byte[]> entry) {
        byte[] chunk = entry.getValue();
        if (chunk == null) {
            chunk = new byte[HazelcastArrayStore.CHUNK];
        }
        System.arraycopy(bytes, 0, chunk, offset, bytes.length);
        entry.setValue(chunk);
        return null;
    }

    @Override
    public int getFactoryId() {
        return HazelcastSerialization.FACTORY_ID;
    }

    @Override
    public int getClassId() {
        return HazelcastSerialization.WRITE_RANGE;
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
