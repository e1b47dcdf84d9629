package io.remem.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

import static io.remem.protocol.FuzzSupport.byteAt;
import static io.remem.protocol.FuzzSupport.fail;
import static io.remem.protocol.FuzzSupport.intAt;
import static io.remem.protocol.FuzzSupport.rest;

/**
 * {@link WriteRunReader} over a WRITEV body, as a memory node walks it: {@code reset(body, count, checksums)}, then
 * {@code next()} until it answers false. Input: {@code u8 flags} (bit 0: runs carry checksums; bit 1: the body is a
 * composite buffer of two parts, split at {@code flags >>> 2} modulo its length, as Netty's cumulation can hand it
 * over), {@code u32 count} (the header's length field: any int), then the body. Seeds:
 * {@code WriteRunsFuzzTestInputs/writeRuns/}.
 *
 * <p>An accepted body must hold exactly {@code count} runs whose data lies in the body, with matching checksums, and
 * written back with {@link WriteRunReader#writeRunHeader} they must give the body again; {@link WriteRunReader#rewind()}
 * must walk the same runs a second time.
 */
class WriteRunsFuzzTest {
    private record Run(long slabId, long offset, int length, int dataIndex) {}

    private final WriteRunReader reader = new WriteRunReader();

    @FuzzTest(maxDuration = "10s")
    void writeRuns(byte[] data) {
        int flags = byteAt(data, 0);
        boolean checksums = (flags & 1) != 0;
        boolean composite = (flags & 2) != 0;
        int count = intAt(data, 1);
        byte[] body = rest(data, 5);

        FuzzSupport.Outcome<List<Run>> o = FuzzSupport.decode("writev", body, b -> walk(buffer(body, composite, flags >>> 2), count, checksums));
        if (!o.accepted()) {
            if (count >= 0 && count <= Wire.MAX_WRITE_RUNS && o.refusal().detail().contains("run count")) {
                throw fail("writev", data, "refused a valid run count: " + o.refusal());
            }
            return;
        }
        List<Run> runs = o.value();
        if (runs.size() != count) {
            throw fail("writev", data, runs.size() + " runs where the header says " + count);
        }
        ByteBuf out = Unpooled.buffer(body.length);
        CRC32C crc = new CRC32C();
        for (Run r : runs) {
            if (r.slabId() < 0 || r.offset() < 0 || r.length() < 0 || r.dataIndex() < 0
                    || (long) r.dataIndex() + r.length() > body.length) {
                throw fail("writev", data, "a run outside the body: " + r);
            }
            crc.reset();
            crc.update(body, r.dataIndex(), r.length());
            if (checksums) {
                WriteRunReader.writeRunHeader(out, r.slabId(), r.offset(), r.length(), (int) crc.getValue());
            } else {
                WriteRunReader.writeRunHeader(out, r.slabId(), r.offset(), r.length());
            }
            if (out.writerIndex() != r.dataIndex()) {
                throw fail("writev", data, "run data at " + r.dataIndex() + ", not right after its header at " + out.writerIndex());
            }
            out.writeBytes(body, r.dataIndex(), r.length());
        }
        byte[] encoded = ByteBufUtil.getBytes(out);
        if (!Arrays.equals(encoded, body)) {
            throw fail("writev", data, "not canonical: the runs re-encode as " + FuzzSupport.hex(encoded));
        }

        // A second pass over a body that passed, as DataService makes after checking every run.
        reader.rewind();
        for (Run r : runs) {
            if (!reader.next() || !r.equals(current())) {
                throw fail("writev", data, "rewind: the second pass differs at " + r);
            }
        }
        if (reader.next()) {
            throw fail("writev", data, "rewind: the second pass has more runs");
        }
    }

    private List<Run> walk(ByteBuf body, int count, boolean checksums) {
        reader.reset(body, count, checksums);
        List<Run> runs = new ArrayList<>();
        while (reader.next()) {
            if (runs.size() >= count) {
                throw new AssertionError("next() went past " + count + " runs");
            }
            runs.add(current());
        }
        if (reader.body() != body) {
            throw new AssertionError("body() is not the buffer reset with");
        }
        return runs;
    }

    private Run current() {
        return new Run(reader.slabId(), reader.offset(), reader.length(), reader.dataIndex());
    }

    private static ByteBuf buffer(byte[] body, boolean composite, int split) {
        if (!composite || body.length == 0) {
            return Unpooled.wrappedBuffer(body);
        }
        int at = split % (body.length + 1);
        return Unpooled.wrappedBuffer(Arrays.copyOfRange(body, 0, at), Arrays.copyOfRange(body, at, body.length));
    }
}
