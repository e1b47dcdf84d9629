package io.remem.bench.suite;

import com.hazelcast.config.SerializationConfig;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * The one serialization factory for the bench's entry processors, registered on the member and on every client.
 * IdentifiedDataSerializable because a processor travels with every partial write: it then costs two ids, an int
 * and the bytes, where Java serialization would send a class descriptor and reflect on the member each time.
 */
final class HazelcastSerialization {
    static final int FACTORY_ID = 0x52454d; // "REM"
    static final int WRITE_RANGE = 1;
    static final int UPDATE_IF_PRESENT = 2;

    private HazelcastSerialization() {}

    static void register(SerializationConfig config) {
        config.addDataSerializableFactory(FACTORY_ID, HazelcastSerialization::create);
    }

    private static IdentifiedDataSerializable create(int classId) {
        return switch (classId) {
            case WRITE_RANGE -> new WriteRange();
            case UPDATE_IF_PRESENT -> new UpdateIfPresent();
            default -> null; // Hazelcast reports the unknown id itself
        };
    }
}
