//! Iterative finalisation of generators held by generators (CPython's
//! "trashcan").
//!
//! Dropping a generator runs code that may drop another generator: closing
//! a suspended one resumes its body, which lets go of its locals; dropping
//! one that never started drops what its body captured. Either may hold the
//! next generator, which holds the next, and so on; done the ordinary way,
//! that recurses once per generator and overflows the stack on deep chains.
//!
//! So each such finalisation runs at a nesting *level*. Up to [`LIMIT`]
//! levels nest on a thread as plain recursion, so shallow programs see
//! every generator finalised the moment it is dropped, as in CPython. A
//! finalisation that would go deeper is parked in a thread-local list
//! instead, and the outermost level empties that list in a loop before it
//! ends. What a parked generator held is released right after it, in the
//! order the recursion would have used, before anything parked earlier.
//!
//! # Invariants
//!
//! - `DEPTH` is the number of levels alive on this thread; it is 0 exactly
//!   when no finalisation is under way.
//! - `PARKED` is empty whenever `DEPTH` is 0: the outermost level drains it
//!   before it ends, even when something it releases panics.
//! - `ANY_PARKED` is set whenever `PARKED` is not empty.

use crate::{
    exception::panic_message,
    hook::{self, UnraisableContext},
};
use std::{
    any::Any,
    cell::{Cell, RefCell},
    panic::{self, AssertUnwindSafe},
    thread,
};

/// How many finalisations may nest on one thread before the next one is
/// deferred: CPython's `_PyTrash_UNWIND_LEVEL` (3.11). A level of a
/// generator held in a generator's body takes 2 to 4 KiB of stack in a
/// debug build, so 50 of them fit in a test thread's 2 MiB with room to
/// spare.
const LIMIT: usize = 50;

/// Work whose turn has been deferred to the outermost level.
pub(crate) trait Deferred {
    /// Does it now: closes a generator, drops a body.
    fn release(self: Box<Self>);
    /// The generator it belongs to, for a report.
    fn name(&self) -> &'static str;
}

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Whether anything was parked since the last drain: most drops park
    /// nothing, and this spares them a look at the list.
    static ANY_PARKED: Cell<bool> = const { Cell::new(false) };
    static PARKED: RefCell<Vec<Box<dyn Deferred>>> = const { RefCell::new(Vec::new()) };
}

/// One level of finalisation, alive while it runs.
#[must_use = "a level ends when it is dropped"]
pub(crate) struct Level {
    outermost: bool,
}

/// Enters a level; `None` if [`LIMIT`] levels are already under way, and
/// the caller must [`defer`] its work instead.
#[inline]
pub(crate) fn enter() -> Option<Level> {
    if DEPTH.with(Cell::get) >= LIMIT {
        return None;
    }
    Some(enter_anyway())
}

/// Enters a level whatever the depth, for work that must happen now and
/// cannot recurse further by itself.
#[inline]
pub(crate) fn enter_anyway() -> Level {
    let depth = DEPTH.with(Cell::get);
    DEPTH.with(|d| d.set(depth + 1));
    Level {
        outermost: depth == 0,
    }
}

impl Drop for Level {
    #[inline]
    fn drop(&mut self) {
        if self.outermost && ANY_PARKED.with(Cell::get) {
            drain_and_leave();
        } else {
            DEPTH.with(|d| d.set(d.get() - 1));
        }
    }
}

/// Ends the outermost level once everything parked has been released.
#[cold]
#[inline(never)]
fn drain_and_leave() {
    let propagate = drain();
    DEPTH.with(|d| d.set(0));
    if let Some(payload) = propagate {
        panic::resume_unwind(payload);
    }
}

/// Leaves `work` to the outermost level. While this thread's locals are
/// being destroyed the list may be gone; the work is then done here, at
/// the cost of recursion.
pub(crate) fn defer(work: Box<dyn Deferred>) {
    let mut work = Some(work);
    let _ = PARKED.try_with(|p| p.borrow_mut().extend(work.take()));
    ANY_PARKED.with(|a| a.set(true));
    if let Some(work) = work {
        work.release();
    }
}

/// Drops `value`, the body of the generator `name`, at a level of its own,
/// or defers it.
pub(crate) fn dispose<T: 'static>(name: &'static str, value: T) {
    match enter() {
        Some(level) => {
            drop(value);
            drop(level);
        }
        None => defer(Box::new(Body { name, value })),
    }
}

/// A body whose drop was deferred.
struct Body<T> {
    name: &'static str,
    value: T,
}

impl<T> Deferred for Body<T> {
    fn release(self: Box<Self>) {
        drop(self.value);
    }

    fn name(&self) -> &'static str {
        self.name
    }
}

/// Releases everything parked, including what that parks in turn.
///
/// Each piece of work runs on its own, so that one that panics strands
/// nothing: the first panic is handed back, to go on from the outermost
/// drop once the list is empty, as it would have without the deferral; a
/// later one (or any, while this thread is already unwinding) cannot go
/// anywhere and is reported to the unraisable hook.
fn drain() -> Option<Box<dyn Any + Send>> {
    let mut propagate = None;
    ANY_PARKED.with(|a| a.set(false));
    while let Some((work, mark)) = PARKED
        .try_with(|p| {
            let mut p = p.borrow_mut();
            p.pop().map(|work| (work, p.len()))
        })
        .ok()
        .flatten()
    {
        let name = work.name();
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| work.release())) {
            if propagate.is_none() && !thread::panicking() {
                propagate = Some(payload);
            } else {
                hook::report(
                    name,
                    UnraisableContext::DropPanicked,
                    panic_message(&*payload),
                );
            }
        }
        // What that work parked comes next, first dropped first.
        let _ = PARKED.try_with(|p| p.borrow_mut()[mark..].reverse());
    }
    propagate
}
