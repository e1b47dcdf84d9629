package io.remem.memnode;

import io.remem.protocol.Features;
import io.remem.protocol.Opcode;
import io.remem.protocol.Role;
import io.remem.protocol.SlabSync;
import io.remem.protocol.auth.Credentials;
import io.remem.transport.ClientTls;
import io.remem.transport.DirectLink;
import io.remem.transport.Peer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Makes this node a new replica of a slab (re-replication, drain): reads the slab from a readable replica piece by
 * piece and applies each piece around the client writes that arrived meanwhile, which are newer ({@link
 * Slab#copyPiece}). Clients write to this node from the moment the controller made it a replica, so when the last
 * piece is in, the copy holds every acknowledged write.
 */
final class SlabCopier {
    /** Bytes per read: large enough to stream, small enough to keep one read short. */
    static final int PIECE = 1 << 20;
    /** Reads in flight at once, so the copy does not pay a round trip per piece. */
    private static final int IN_FLIGHT = 4;

    private final Duration callTimeout;
    private final ClientTls tls;

    SlabCopier(Duration callTimeout, ClientTls tls) {
        this.callTimeout = callTimeout;
        this.tls = tls;
    }

    /** Copies all of {@code slab} from {@code sync.source()}; blocks until done or throws. */
    void copy(Slab slab, SlabSync sync) {
        // Shared: the link's reader thread fills the buffers. Declared first, so it is closed after the link.
        try (Arena arena = Arena.ofShared();
             DirectLink link = DirectLink.connect(sync.source().host(), sync.source().port(), Duration.ofSeconds(3),
                     callTimeout, tls)) {
            // The source serves this slab, and nothing else, to the holder of the controller's capability for it.
            link.hello(Role.REPLICA, Credentials.ofToken("replica", sync::capability), 0, Features.CHECKSUMS);
            long size = slab.size();
            MemorySegment[] buffers = new MemorySegment[IN_FLIGHT];
            for (int i = 0; i < IN_FLIGHT; i++) {
                buffers[i] = arena.allocate(PIECE, 64);
            }
            @SuppressWarnings("unchecked")
            CompletableFuture<Void>[] reads = new CompletableFuture[IN_FLIGHT];
            long[] offsets = new long[IN_FLIGHT];
            long next = 0;
            long done = 0;
            int head = 0;
            int inFlight = 0;
            while (done < size) {
                while (inFlight < IN_FLIGHT && next < size) {
                    int slot = (head + inFlight) % IN_FLIGHT;
                    int n = (int) Math.min(PIECE, size - next);
                    offsets[slot] = next;
                    reads[slot] = link.readAsync(Opcode.REPLICA_READ, slab.id(), next, buffers[slot].asSlice(0, n));
                    next += n;
                    inFlight++;
                }
                Peer.await(reads[head]);
                int n = (int) Math.min(PIECE, size - offsets[head]);
                slab.copyPiece(offsets[head], buffers[head].asSlice(0, n));
                done += n;
                head = (head + 1) % IN_FLIGHT;
                inFlight--;
            }
        }
    }

}
