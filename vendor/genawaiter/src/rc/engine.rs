use crate::{core, core::Next};
use std::{cell::Cell, ptr, rc::Rc};

// Patched (PATCHES.md): documented, now that it is public.
/// The channel between a generator and its body, through which values are
/// yielded and resume arguments passed.
pub struct Airlock<Y, R>(Rc<Cell<Next<Y, R>>>);

impl<Y, R> Default for Airlock<Y, R> {
    fn default() -> Self {
        Self(Rc::new(Cell::new(Next::Empty)))
    }
}

impl<Y, R> Clone for Airlock<Y, R> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<Y, R> core::Airlock for Airlock<Y, R> {
    type Yield = Y;
    type Resume = R;

    fn peek(&self) -> Next<(), ()> {
        // Safety: `Rc` is `!Send + !Sync`, and control does not leave this function
        // while the reference is taken, so concurrent access is not possible. The value
        // is not modified, so no shared references elsewhere can be invalidated.
        let inner = unsafe { &*self.0.as_ptr() };
        inner.without_values()
    }

    // Patched (vendor/genawaiter/PATCHES.md): `Cell::replace` read the old
    // `Next` back whole, in 16- and 8-byte pieces, just after it had been
    // written field by field (its discriminant a byte, its value beside
    // it). A processor cannot forward a load from stores that each cover
    // only part of it, so every resume and every yield waited for the
    // stores to reach the cache. Here the old value is read as it was
    // written: the discriminant, then the variant's value.
    fn replace(&self, next: Next<Y, R>) -> Next<Y, R> {
        let slot = self.0.as_ptr();
        // SAFETY: as in `peek`, `Rc` is `!Send + !Sync` and control does
        // not leave this function while it reads and writes the cell, so
        // nothing else accesses it meanwhile, and the shared reference the
        // `match` takes ends before the write. The variant's value is read
        // out once: the cell is overwritten with `next` straight after,
        // and `ptr::write` does not drop what it overwrites, so the value
        // is owned by `previous` alone, as `Cell::replace` would leave it.
        unsafe {
            let previous = match &*slot {
                Next::Empty => Next::Empty,
                Next::Yield(value) => Next::Yield(ptr::read(value)),
                Next::Resume(value) => Next::Resume(ptr::read(value)),
                Next::Completed => Next::Completed,
            };
            ptr::write(slot, next);
            previous
        }
    }
}

/// This object lets you yield values from the generator by calling the `yield_`
/// method.
///
/// "Co" can stand for either _controller_ or _coroutine_, depending on how
/// theoretical you are feeling.
///
/// [_See the module-level docs for examples._](.)
pub type Co<Y, R = ()> = core::Co<Airlock<Y, R>>;
