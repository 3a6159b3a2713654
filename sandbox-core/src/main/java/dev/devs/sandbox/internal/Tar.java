package dev.devs.sandbox.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Just enough of the tar format (POSIX ustar, with GNU long names, which GNU tar and BusyBox tar both read and
 * write) to copy a host directory tree into a sandbox and a sandbox tree out to the host, streaming: memory holds
 * one 64 KiB buffer and the list of paths, never a file. Regular files, directories and symbolic links; modes kept.
 * Not API.
 */
public final class Tar {

    private static final int BLOCK = 512;

    private Tar() {
    }

    /** The tree under {@code dir} (its contents, not the directory itself) as a tar stream, produced as it is read. */
    public static InputStream stream(Path dir) throws IOException {
        List<Path> paths = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(p -> !p.equals(dir)).sorted().forEach(paths::add);
        }
        Iterator<Path> it = paths.iterator();
        Enumeration<InputStream> parts = new Enumeration<>() {
            private boolean trailerSent;

            @Override
            public boolean hasMoreElements() {
                return it.hasNext() || !trailerSent;
            }

            @Override
            public InputStream nextElement() {
                if (!it.hasNext()) {
                    trailerSent = true;
                    return new ByteArrayInputStream(new byte[BLOCK * 2]);
                }
                Path p = it.next();
                try {
                    return entry(p, dir.relativize(p).toString().replace('\\', '/'));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("cannot read " + p + " for the tar stream", e);
                }
            }
        };
        return new SequenceInputStream(parts);
    }

    private static InputStream entry(Path p, String name) throws IOException {
        int mode = mode(p);
        long mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() / 1000;
        if (Files.isSymbolicLink(p)) {
            return headers(name, '2', mode, 0, mtime, Files.readSymbolicLink(p).toString());
        }
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return headers(name + "/", '5', mode, 0, mtime, "");
        }
        long size = Files.size(p);
        InputStream content = Files.newInputStream(p);
        int pad = (int) ((BLOCK - size % BLOCK) % BLOCK);
        return new SequenceInputStream(Collections.enumeration(List.of(headers(name, '0', mode, size, mtime, ""),
                new BoundedInput(content, size, p), new ByteArrayInputStream(new byte[pad]))));
    }

    private static InputStream headers(String name, char type, int mode, long size, long mtime, String link) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        byte[] linkBytes = link.getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        if (nameBytes.length > 100) {
            longName(out, "././@LongLink", 'L', nameBytes);
        }
        if (linkBytes.length > 100) {
            longName(out, "././@LongLink", 'K', linkBytes);
        }
        out.writeBytes(header(nameBytes, type, mode, size, mtime, linkBytes));
        return new ByteArrayInputStream(out.toByteArray());
    }

    private static void longName(java.io.ByteArrayOutputStream out, String marker, char type, byte[] value) {
        byte[] data = java.util.Arrays.copyOf(value, value.length + 1);
        out.writeBytes(header(marker.getBytes(StandardCharsets.US_ASCII), type, 0, data.length, 0, new byte[0]));
        out.writeBytes(data);
        out.writeBytes(new byte[(BLOCK - data.length % BLOCK) % BLOCK]);
    }

    private static byte[] header(byte[] name, char type, int mode, long size, long mtime, byte[] link) {
        byte[] h = new byte[BLOCK];
        System.arraycopy(name, 0, h, 0, Math.min(100, name.length));
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = (byte) type;
        System.arraycopy(link, 0, h, 157, Math.min(100, link.length));
        System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        return h;
    }

    private static void octal(byte[] h, int off, int len, long value) {
        String s = Long.toOctalString(value);
        if (s.length() > len - 1) {
            // Sizes from 8 GiB up: the base-256 form GNU and BusyBox tar both read.
            for (int i = off + len - 1; i > off; i--) {
                h[i] = (byte) value;
                value >>>= 8;
            }
            h[off] = (byte) 0x80;
            return;
        }
        String padded = "0".repeat(len - 1 - s.length()) + s;
        System.arraycopy(padded.getBytes(StandardCharsets.US_ASCII), 0, h, off, len - 1);
        h[off + len - 1] = 0;
    }

    private static int mode(Path p) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
            int m = 0;
            for (PosixFilePermission perm : perms) {
                m |= 1 << (8 - perm.ordinal());
            }
            return m;
        } catch (UnsupportedOperationException | IOException e) {
            return Files.isDirectory(p) ? 0755 : Files.isExecutable(p) ? 0755 : 0644;
        }
    }

    /**
     * Unpacks a tar stream into {@code dir} (made if missing), keeping permission bits where the host's file system
     * has them. Entries that would land outside {@code dir} (absolute, or climbing with {@code ..}) are refused.
     */
    public static void extract(InputStream tar, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path root = dir.toAbsolutePath().normalize();
        byte[] h = new byte[BLOCK];
        String longName = null;
        String longLink = null;
        String paxPath = null;
        while (true) {
            if (!readFully(tar, h)) {
                return;
            }
            if (isZero(h)) {
                return;
            }
            char type = (char) h[156];
            long size = number(h, 124, 12);
            if (type == 'L' || type == 'K' || type == 'x') {
                byte[] data = readData(tar, size);
                String value = new String(data, StandardCharsets.UTF_8);
                if (type == 'L') {
                    longName = trimNul(value);
                } else if (type == 'K') {
                    longLink = trimNul(value);
                } else {
                    paxPath = paxValue(value, "path");
                }
                continue;
            }
            String name = paxPath != null ? paxPath : longName != null ? longName : ustarName(h);
            String link = longLink != null ? longLink : cString(h, 157, 100);
            longName = null;
            longLink = null;
            paxPath = null;
            int mode = (int) number(h, 100, 8) & 07777;
            Path target = root.resolve(name).normalize();
            if (!target.startsWith(root)) {
                throw new IOException("tar entry '" + name + "' would land outside " + root + ": refused");
            }
            switch (type) {
                case '5' -> {
                    Files.createDirectories(target);
                    chmod(target, mode);
                    skip(tar, size);
                }
                case '2' -> {
                    Files.createDirectories(target.getParent());
                    Files.deleteIfExists(target);
                    Files.createSymbolicLink(target, Path.of(link));
                    skip(tar, size);
                }
                case '0', '\0', '7' -> {
                    Files.createDirectories(target.getParent());
                    try (OutputStream out = Files.newOutputStream(target)) {
                        copyExactly(tar, out, size);
                    }
                    skip(tar, (BLOCK - size % BLOCK) % BLOCK);
                    chmod(target, mode);
                }
                default -> skip(tar, size + (BLOCK - size % BLOCK) % BLOCK); // devices, fifos, hard links: not copied
            }
        }
    }

    private static String ustarName(byte[] h) {
        String name = cString(h, 0, 100);
        String magic = cString(h, 257, 6);
        if (magic.startsWith("ustar")) {
            String prefix = cString(h, 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
        }
        return name;
    }

    private static String paxValue(String records, String key) {
        for (String line : records.split("\n")) {
            int sp = line.indexOf(' ');
            int eq = line.indexOf('=');
            if (sp > 0 && eq > sp && line.substring(sp + 1, eq).equals(key)) {
                return line.substring(eq + 1);
            }
        }
        return null;
    }

    private static void chmod(Path p, int mode) {
        try {
            StringBuilder sb = new StringBuilder();
            String rwx = "rwxrwxrwx";
            for (int i = 0; i < 9; i++) {
                sb.append((mode & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
            }
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(sb.toString()));
        } catch (UnsupportedOperationException | IOException e) {
            // A host file system without POSIX permissions keeps its own.
        }
    }

    private static long number(byte[] h, int off, int len) {
        if ((h[off] & 0x80) != 0) {
            long v = 0;
            for (int i = off + 1; i < off + len; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        String s = cString(h, off, len).trim();
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    }

    private static String cString(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static String trimNul(String s) {
        int i = s.indexOf('\0');
        return i < 0 ? s : s.substring(0, i);
    }

    private static boolean isZero(byte[] h) {
        for (byte b : h) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean readFully(InputStream in, byte[] b) throws IOException {
        int off = 0;
        while (off < b.length) {
            int n = in.read(b, off, b.length - off);
            if (n < 0) {
                if (off == 0) {
                    return false;
                }
                throw new IOException("tar stream ended inside a header");
            }
            off += n;
        }
        return true;
    }

    private static byte[] readData(InputStream in, long size) throws IOException {
        if (size > 1 << 20) {
            throw new IOException("tar extension header of " + size + " bytes is too large");
        }
        byte[] data = in.readNBytes((int) size);
        skip(in, (BLOCK - size % BLOCK) % BLOCK);
        return data;
    }

    private static void copyExactly(InputStream in, OutputStream out, long size) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException("tar stream ended inside a file");
            }
            out.write(buf, 0, n);
            left -= n;
        }
    }

    private static void skip(InputStream in, long n) throws IOException {
        long left = n;
        while (left > 0) {
            long s = in.skip(left);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw new IOException("tar stream ended early");
                }
                s = 1;
            }
            left -= s;
        }
    }

    /** A file's bytes, exactly {@code size} of them (a file that changed size while read would corrupt the tar). */
    private static final class BoundedInput extends InputStream {
        private final InputStream in;
        private final Path path;
        private long left;

        BoundedInput(InputStream in, long size, Path path) {
            this.in = in;
            this.left = size;
            this.path = path;
        }

        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                in.close();
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                in.close();
                throw new IOException(path + " shrank while it was copied");
            }
            left -= n;
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
