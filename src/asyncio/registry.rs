//! The loop's record of its pending tasks: constant time to add and to
//! remove one, and the survivors listed in the order they were added.
//!
//! A slab of slots threaded by a doubly linked list in insertion order.
//! Freed slots are reused, so the slab is as large as the most tasks ever
//! pending at once, never as large as the number ever made.

use std::num::NonZeroU64;

/// Where an entry sits, to remove it again. A key outlives its entry
/// harmlessly: the generation tells a reused slot from the one it named.
///
/// The generation is never zero, so that an `Option<Key>`, which every task holds, takes no
/// more room than a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    index: usize,
    generation: NonZeroU64,
}

const NONE: usize = usize::MAX;

struct Slot<T> {
    value: Option<T>,
    generation: NonZeroU64,
    /// Neighbours in insertion order while occupied; `next` links the
    /// free list while vacant.
    prev: usize,
    next: usize,
}

/// Invariants: `head`/`tail` are the oldest and newest occupied slots
/// (both `NONE` when empty); following `next` from `head` visits every
/// occupied slot once, oldest first; `free` starts the chain of vacant
/// slots; `len` counts the occupied ones.
pub(crate) struct Registry<T> {
    slots: Vec<Slot<T>>,
    head: usize,
    tail: usize,
    free: usize,
    len: usize,
    /// Stamped on each entry, so that no two entries share a key.
    generation: NonZeroU64,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            head: NONE,
            tail: NONE,
            free: NONE,
            len: 0,
            generation: NonZeroU64::MIN,
        }
    }
}

impl<T> Registry<T> {
    /// Adds `value` after every entry present.
    pub(crate) fn insert(&mut self, value: T) -> Key {
        // Saturating: 2^64 tasks are never made.
        self.generation = self.generation.saturating_add(1);
        let slot = Slot {
            value: Some(value),
            generation: self.generation,
            prev: self.tail,
            next: NONE,
        };
        let index = if self.free == NONE {
            self.slots.push(slot);
            self.slots.len() - 1
        } else {
            let index = self.free;
            self.free = self.slots[index].next;
            self.slots[index] = slot;
            index
        };
        match self.tail {
            NONE => self.head = index,
            tail => self.slots[tail].next = index,
        }
        self.tail = index;
        self.len += 1;
        Key {
            index,
            generation: self.generation,
        }
    }

    /// Takes out the entry at `key`; `None` if it was removed already.
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        let slot = self.slots.get_mut(key.index)?;
        if slot.generation != key.generation {
            return None;
        }
        let value = slot.value.take()?;
        let (prev, next) = (slot.prev, slot.next);
        slot.next = self.free;
        self.free = key.index;
        match prev {
            NONE => self.head = next,
            prev => self.slots[prev].next = next,
        }
        match next {
            NONE => self.tail = prev,
            next => self.slots[next].prev = prev,
        }
        self.len -= 1;
        if self.len == 0 {
            // Nothing pending: give the memory of a past burst back.
            let generation = self.generation;
            *self = Self::default();
            self.generation = generation;
        }
        Some(value)
    }

    /// The entries, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        let mut at = self.head;
        std::iter::from_fn(move || {
            let slot = self.slots.get(at)?;
            at = slot.next;
            slot.value.as_ref()
        })
    }

    /// Empties the registry, giving the entries oldest first.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let mut taken = std::mem::take(self);
        self.generation = taken.generation;
        let mut out = Vec::with_capacity(taken.len);
        let mut at = taken.head;
        while let Some(slot) = taken.slots.get_mut(at) {
            at = slot.next;
            out.extend(slot.value.take());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Registry;

    #[test]
    fn entries_come_out_in_insertion_order_whatever_was_removed_between() {
        let mut registry = Registry::default();
        let keys: Vec<_> = (0..6).map(|i| registry.insert(i)).collect();
        assert_eq!(registry.remove(keys[0]), Some(0));
        assert_eq!(registry.remove(keys[3]), Some(3));
        assert_eq!(registry.remove(keys[5]), Some(5));
        registry.insert(6);
        registry.insert(7);
        assert_eq!(
            registry.iter().copied().collect::<Vec<_>>(),
            [1, 2, 4, 6, 7]
        );
        assert_eq!(registry.len, 5);
        assert_eq!(registry.drain(), [1, 2, 4, 6, 7]);
        assert_eq!(registry.len, 0);
        assert_eq!(registry.iter().count(), 0);
    }

    #[test]
    fn removing_twice_gives_nothing_the_second_time() {
        let mut registry = Registry::default();
        let a = registry.insert("a");
        registry.insert("b");
        assert_eq!(registry.remove(a), Some("a"));
        assert_eq!(registry.remove(a), None);
        assert_eq!(registry.iter().copied().collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn a_key_whose_slot_was_reused_removes_nothing() {
        let mut registry = Registry::default();
        let _keep = registry.insert("keep");
        let old = registry.insert("old");
        registry.remove(old);
        registry.insert("new");
        assert_eq!(registry.remove(old), None);
        let drained = registry.insert("drained");
        registry.drain();
        registry.insert("after");
        assert_eq!(registry.remove(drained), None);
        assert_eq!(registry.iter().copied().collect::<Vec<_>>(), ["after"]);
    }

    #[test]
    fn freed_slots_are_reused_so_the_slab_grows_with_the_most_pending_at_once() {
        let mut registry = Registry::default();
        let _keep = registry.insert(0);
        for i in 1..10_000 {
            let key = registry.insert(i);
            assert_eq!(registry.remove(key), Some(i));
        }
        assert_eq!(registry.slots.len(), 2);
        assert_eq!(registry.iter().copied().collect::<Vec<_>>(), [0]);
    }

    #[test]
    fn an_emptied_registry_gives_its_memory_back() {
        let mut registry = Registry::default();
        let keys: Vec<_> = (0..1000).map(|i| registry.insert(i)).collect();
        for key in keys {
            registry.remove(key);
        }
        assert_eq!(registry.slots.capacity(), 0);
    }
}
