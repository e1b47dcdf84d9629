package io.remem.collections;

import java.util.AbstractCollection;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link FarMap}'s key set, values and entry set: weakly consistent views over {@link FarMapScan}s, whose removals
 * and {@code setValue} write through to the map.
 */
final class FarMapViews<K, V> {
    private final FarMap<K, V> map;
    private Set<K> keySet;
    private Collection<V> values;
    private Set<Map.Entry<K, V>> entrySet;

    FarMapViews(FarMap<K, V> map) {
        this.map = map;
    }

    Set<K> keySet() {
        Set<K> s = keySet;
        return s != null ? s : (keySet = new KeySet());
    }

    Collection<V> values() {
        Collection<V> c = values;
        return c != null ? c : (values = new Values());
    }

    Set<Map.Entry<K, V>> entrySet() {
        Set<Map.Entry<K, V>> s = entrySet;
        return s != null ? s : (entrySet = new EntrySet());
    }

    /** The typed iterators: a {@link FarMapScan}, with remove writing through. */
    private abstract class ScanIterator<T> implements Iterator<T> {
        private final FarMapScan scan;
        private boolean ready;
        private byte[] lastKey;
        private long lastHash;

        ScanIterator(boolean withValues) {
            this.scan = new FarMapScan(map, withValues);
        }

        abstract T make(byte[] key, byte[] value);

        @Override
        public boolean hasNext() {
            if (!ready) {
                ready = scan.advance();
            }
            return ready;
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            ready = false;
            lastKey = scan.key;
            lastHash = scan.hash;
            return make(scan.key, scan.value);
        }

        @Override
        public void remove() {
            if (lastKey == null) {
                throw new IllegalStateException("next() first, and remove() once per next()");
            }
            map.removeEncoded(lastKey, lastHash);
            lastKey = null;
        }
    }

    /** An entry an iterator returned: a snapshot whose {@link #setValue} also puts into the map. */
    private final class MapEntry extends AbstractMap.SimpleEntry<K, V> {
        MapEntry(K key, V value) {
            super(key, value);
        }

        @Override
        public V setValue(V value) {
            Objects.requireNonNull(value, "value");
            V old = super.setValue(value);
            map.set(getKey(), value);
            return old;
        }
    }

    /** A set view: as big as the map, and cleared with it. */
    private abstract class MapSet<T> extends AbstractSet<T> {
        @Override
        public int size() {
            return map.size();
        }

        @Override
        public boolean isEmpty() {
            return map.isEmpty();
        }

        @Override
        public void clear() {
            map.clear();
        }
    }

    private final class KeySet extends MapSet<K> {
        @Override
        public Iterator<K> iterator() {
            map.ensureOpen();
            return new ScanIterator<>(false) {
                @Override
                K make(byte[] key, byte[] value) {
                    return map.decodeKey(key);
                }
            };
        }

        @Override
        public boolean contains(Object o) {
            return map.containsKey(o);
        }

        @Override
        public boolean remove(Object o) {
            return map.delete(o);
        }
    }

    private final class Values extends AbstractCollection<V> {
        @Override
        public int size() {
            return map.size();
        }

        @Override
        public boolean isEmpty() {
            return map.isEmpty();
        }

        @Override
        public void clear() {
            map.clear();
        }

        @Override
        public Iterator<V> iterator() {
            map.ensureOpen();
            return new ScanIterator<>(true) {
                @Override
                V make(byte[] key, byte[] value) {
                    return map.decodeValue(value);
                }
            };
        }

        @Override
        public boolean contains(Object o) {
            return map.containsValue(o);
        }

        /** Removes one entry whose value has the same encoding as {@code o}, if there is one. */
        @Override
        public boolean remove(Object o) {
            if (o == null) {
                return false;
            }
            byte[] v = map.encodeValue(o);
            map.ensureOpen();
            FarMapScan scan = new FarMapScan(map, true);
            while (scan.advance()) {
                if (Arrays.equals(scan.value, v) && map.removeEncodedIfEqual(scan.key, scan.hash, v)) {
                    return true;
                }
            }
            return false;
        }
    }

    private final class EntrySet extends MapSet<Map.Entry<K, V>> {
        @Override
        public Iterator<Map.Entry<K, V>> iterator() {
            map.ensureOpen();
            return new ScanIterator<>(true) {
                @Override
                Map.Entry<K, V> make(byte[] key, byte[] value) {
                    return new MapEntry(map.decodeKey(key), map.decodeValue(value));
                }
            };
        }

        @Override
        public boolean contains(Object o) {
            if (!(o instanceof Map.Entry<?, ?> e) || e.getKey() == null || e.getValue() == null) {
                return false;
            }
            byte[] k = map.encodeKey(e.getKey());
            byte[] v = map.valueBytes(k);
            return v != null && Arrays.equals(v, map.encodeValue(e.getValue()));
        }

        @Override
        public boolean remove(Object o) {
            return o instanceof Map.Entry<?, ?> e && e.getKey() != null && e.getValue() != null
                    && map.remove(e.getKey(), e.getValue());
        }
    }
}
