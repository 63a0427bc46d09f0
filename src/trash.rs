//! Iterative dropping of nested generator bodies (CPython's "trashcan").
//!
//! A body that has not run yet owns whatever its closure captured, often
//! another generator, which owns the next, and so on. Dropping such a chain
//! the ordinary way recurses once per level and overflows the stack on deep
//! chains. Instead, a body dropped while another body is being dropped on
//! the same thread is parked in a thread-local list, and the outermost drop
//! empties that list in a loop.

use std::{any::Any, cell::Cell, cell::RefCell};

/// Marks the outermost dispose on this thread until dropped, even by a
/// panicking destructor.
struct Outermost;

impl Drop for Outermost {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(false));
    }
}

thread_local! {
    static DEPTH: Cell<bool> = const { Cell::new(false) };
    static PARKED: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// Drops `value`, deferring it to the outermost dispose on this thread when
/// one is already under way.
pub(crate) fn dispose<T: 'static>(value: T) {
    if DEPTH.with(Cell::get) {
        // While this thread's locals are being destroyed the list may be
        // gone; the value is then dropped here, at the cost of recursion.
        let mut value = Some(value);
        let parked = PARKED.try_with(|p| {
            if let Some(value) = value.take() {
                p.borrow_mut().push(Box::new(value));
            }
        });
        drop((parked, value));
        return;
    }
    DEPTH.with(|d| d.set(true));
    let _outermost = Outermost;
    drop(value);
    while let Some(next) = PARKED.try_with(|p| p.borrow_mut().pop()).ok().flatten() {
        drop(next);
    }
}
