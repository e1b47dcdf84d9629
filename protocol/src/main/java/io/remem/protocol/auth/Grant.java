package io.remem.protocol.auth;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.Bodies;
import io.remem.protocol.DatasetAccess;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.TenantName;

/**
 * A capability the controller issues to a tenant that another tenant granted a dataset: the bearer's sessions may read
 * (or read and write) slabs {@code firstSlab .. firstSlab + slabCount - 1} until {@code expiresAtMillis}. A runtime
 * presents it to each memory node (SLAB_GRANT), which checks its HMAC, signed like a {@link Token} but in a format of
 * its own, so neither can pass for the other.
 *
 * <p>Layout, big-endian: {@code u8 format (2), string keyId, string grantee, string owner, u64 firstSlab, u32
 * slabCount, u8 access, u64 issuedAtMillis, u64 expiresAtMillis, u64 serial, 32 bytes HMAC-SHA-256} of everything
 * before the HMAC. The owner is checked too, so a slab id that is freed and handed to someone else is not covered.
 */
public record Grant(String keyId, String grantee, String owner, long firstSlab, int slabCount, DatasetAccess access,
                    long issuedAtMillis, long expiresAtMillis, long serial) {
    public static final int FORMAT = 2;
    public static final int MAX_BYTES = 256;

    public Grant {
        TenantName.check(grantee);
        TenantName.check(owner);
        if (firstSlab < 0 || slabCount <= 0 || access == null || access == DatasetAccess.NONE
                || issuedAtMillis < 0 || expiresAtMillis < issuedAtMillis) {
            throw RememException.malformed("grant: slabs " + firstSlab + "+" + slabCount + ", access " + access
                    + ", issued " + issuedAtMillis + ", expires " + expiresAtMillis);
        }
    }

    public static Grant of(String grantee, String owner, long firstSlab, int slabCount, DatasetAccess access,
                           long issuedAtMillis, long expiresAtMillis, long serial) {
        return new Grant("k00000000", grantee, owner, firstSlab, slabCount, access, issuedAtMillis, expiresAtMillis,
                serial);
    }

    /** Whether it covers {@code slabId}. */
    public boolean covers(long slabId) {
        return slabId >= firstSlab && slabId - firstSlab < slabCount;
    }

    Grant signedBy(String signer) {
        return new Grant(signer, grantee, owner, firstSlab, slabCount, access, issuedAtMillis, expiresAtMillis, serial);
    }

    byte[] claims() {
        ByteBuf out = Unpooled.buffer(96);
        out.writeByte(FORMAT);
        Bodies.writeString(out, keyId);
        Bodies.writeString(out, grantee);
        Bodies.writeString(out, owner);
        out.writeLong(firstSlab);
        out.writeInt(slabCount);
        out.writeByte(access.ordinal());
        out.writeLong(issuedAtMillis);
        out.writeLong(expiresAtMillis);
        out.writeLong(serial);
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }

    record Signed(Grant grant, Signature signature) {}

    static Signed decode(byte[] bytes) {
        if (bytes.length > MAX_BYTES) {
            throw RememException.malformed("grant: " + bytes.length + " bytes exceeds " + MAX_BYTES);
        }
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        int format = Bodies.readUnsignedByte(in, "grant.format");
        if (format != FORMAT) {
            throw RememException.malformed("grant.format: " + format);
        }
        String keyId = Bodies.readString(in, "grant.keyId");
        String grantee = Bodies.readString(in, "grant.grantee");
        String owner = Bodies.readString(in, "grant.owner");
        long first = Bodies.readLong(in, "grant.firstSlab");
        int count = Bodies.readCount(in, Integer.MAX_VALUE, "grant.slabCount");
        DatasetAccess access = DatasetAccess.ofCode(Bodies.readUnsignedByte(in, "grant.access"), "grant.access");
        long issued = Bodies.readLong(in, "grant.issued");
        long expires = Bodies.readLong(in, "grant.expires");
        long serial = Bodies.readLong(in, "grant.serial");
        Signature signature = Signature.after(bytes, in, "grant");
        try {
            return new Signed(new Grant(keyId, grantee, owner, first, count, access, issued, expires, serial),
                    signature);
        } catch (RememException e) {
            throw e.code() == ErrorCode.MALFORMED_FRAME ? e : RememException.malformed("grant: " + e.detail());
        }
    }

    @Override
    public String toString() {
        return "Grant[" + grantee + " " + access + " " + owner + "'s slabs " + firstSlab + "+" + slabCount + ", expires "
                + expiresAtMillis + "]";
    }
}
