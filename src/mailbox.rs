//! The side channel between a driver and the body it is resuming.
//!
//! genawaiter's channel carries exactly the user's yield type and
//! `Option<S>`. Everything else that crosses between a driver and a body
//! (throw, close, a finished delegate's return value, a new delegate, and
//! whether the body really suspended at one of its own yields) goes through
//! here. A body only ever runs inside a resume, on the thread that resumes
//! it, and each message below is read within that same resume, before any
//! other code of the user's runs; so one set of thread-local cells serves
//! every generator, nested drivers included, and no generator carries a
//! control block of its own.
//!
//! - [`Mode`]: written by the driver just before it resumes a body, read by
//!   the yield the body is parked at.
//! - [`Token`]: written by a body's yield as it suspends, taken by the
//!   body's guard as the poll returns, to tell a real suspension through
//!   the body's own `Co` from a foreign await.
//! - the parcel: the cold payloads (a thrown error, a return value, a new
//!   delegate), boxed, posted by one side and collected by the other within
//!   the same resume. An error of the default type, [`AnyError`], has a
//!   slot of its own and is not boxed: it crosses on every `throw` and
//!   `close`, and boxing it doubled their allocations.
//! - the refusal acknowledged: set by a body's guard before it polls the
//!   body again, when a yield of the body's own `Co` was refused, and read
//!   by that yield.
//! - the delegate hint: what the body is delegating to without a frame of
//!   its own, left just before it yields: a plain iterator
//!   (`yield_from_iter`), or a hand-written delegate driven in place.
//! - a coroutine's yield: the [`Suspend`] a coroutine's body yields, left
//!   by its `Co` when the yield is made and taken by its frame once the
//!   body has suspended. For coroutines genawaiter's channel carries only
//!   the signal: a channel that also carried the `Suspend` was written and
//!   read in pieces of different widths on every resume, which the
//!   processor cannot forward (docs/performance.md, "A coroutine's yield
//!   beside genawaiter's channel"). Each is marked with its body's token,
//!   so that a body that makes a yield, runs another coroutine, and only
//!   then awaits its own, gets its own back.

use crate::{
    AnyError,
    asyncio::{Suspend, Waitable},
};
use std::{
    any::Any,
    cell::{Cell, RefCell},
    mem,
    rc::Rc,
    sync::atomic::{AtomicU32, Ordering},
};

/// What the driver asks of the body on this resume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Resume with the value in genawaiter's channel.
    Send,
    /// Raise the error in the parcel.
    Throw,
    /// Raise `GeneratorExit`.
    Close,
    /// The delegate finished; its return value is in the parcel.
    Return,
}

/// How the body ended its poll, as its own code reports it, and through
/// whose `Co`: the body id of that `Co` and what it did, in one word, so
/// that the guard of the body being polled checks both with one compare.
///
/// Every generator has a body id, which its frame's guard and its `Co`
/// share. A yield made through another generator's `Co` leaves that
/// generator's id, which the guard of the body being polled tells apart
/// from its own: a foreign await, not a suspension of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token(u32);

impl Token {
    /// Nothing of ours suspended: a pending poll was a foreign await.
    pub(crate) const NONE: Self = Self(0);

    /// Parked at a yield of the `Co` of a body that has not been made yet:
    /// the token its yields will leave, made once with the body.
    pub(crate) fn for_new_body() -> Self {
        // Ids step by 4, leaving the low bits for what the `Co` did. They
        // wrap after 2^30 generators; a misplaced `Co` whose id happens to
        // equal the id of the body awaiting it is not caught (genawaiter
        // then panics, as it did before ids), which takes that exact
        // coincidence, not just a long-lived program.
        static NEXT: AtomicU32 = AtomicU32::new(0);
        Self(NEXT.fetch_add(4, Ordering::Relaxed) | 1)
    }

    /// Parked at a `yield_from` of the `Co` whose yields leave `self`, with
    /// the delegate in the parcel.
    #[inline]
    pub(crate) const fn delegated_instead(self) -> Self {
        Self(self.0 + 1)
    }

    /// Pending at a yield or `yield_from` of the `Co` whose yields leave
    /// `self`, refused because that `Co` had a yield outstanding: the
    /// mistake of the `Co`'s own body if that is the body being polled
    /// (which then acknowledges it and polls again), a foreign await if not.
    #[inline]
    pub(crate) const fn refused_instead(self) -> Self {
        Self(self.0 + 2)
    }
}

thread_local! {
    static MODE: Cell<Mode> = const { Cell::new(Mode::Send) };
    static TOKEN: Cell<Token> = const { Cell::new(Token::NONE) };
    static HINT: Cell<Option<Hint>> = const { Cell::new(None) };
    static OWN_REFUSAL: Cell<bool> = const { Cell::new(false) };
    static PARCEL: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
    static ANY_ERROR: RefCell<Option<AnyError>> = const { RefCell::new(None) };
    static SUSPENDED: Suspended = const { Suspended::new() };
}

/// The coroutine yields made and not yet taken: one in the slot, which is
/// all there is unless a body makes a yield and runs another coroutine
/// before it awaits it, and any others set aside.
struct Suspended {
    /// [`EMPTY`], [`NOW`] or [`WAITING`].
    state: Cell<u8>,
    /// The body whose yield is in the slot.
    token: Cell<Token>,
    /// The future waited on while the state is [`WAITING`]; else empty.
    waiting: Cell<Option<Rc<dyn Waitable>>>,
    set_aside: RefCell<Vec<(Token, Suspend)>>,
}

/// The slot holds no yield.
const EMPTY: u8 = 0;
/// The slot holds `Suspend::NOW`.
const NOW: u8 = 1;
/// The slot holds a wait on the future in `waiting`.
const WAITING: u8 = 2;

impl Suspended {
    const fn new() -> Self {
        Self {
            state: Cell::new(EMPTY),
            token: Cell::new(Token::NONE),
            waiting: Cell::new(None),
            set_aside: RefCell::new(Vec::new()),
        }
    }

    #[inline]
    fn put(&self, token: Token, suspend: Suspend) {
        if self.state.get() != EMPTY {
            self.set_aside();
        }
        self.token.set(token);
        match suspend.0 {
            None => self.state.set(NOW),
            Some(waitable) => {
                // Empty, so there is nothing to drop; not reading the old
                // value keeps this write from waiting on the narrower store
                // that emptied it.
                mem::forget(self.waiting.replace(Some(waitable)));
                self.state.set(WAITING);
            }
        }
    }

    #[inline]
    fn take(&self, token: Token) -> Option<Suspend> {
        let state = self.state.get();
        if state == EMPTY || self.token.get() != token {
            return self.take_set_aside(token);
        }
        self.state.set(EMPTY);
        Some(if state == NOW {
            Suspend::NOW
        } else {
            Suspend(self.waiting.take())
        })
    }

    #[cold]
    fn set_aside(&self) {
        let token = self.token.get();
        if let Some(suspend) = self.take(token) {
            self.set_aside.borrow_mut().push((token, suspend));
        }
    }

    #[cold]
    fn take_set_aside(&self, token: Token) -> Option<Suspend> {
        let mut set_aside = self.set_aside.borrow_mut();
        let at = set_aside.iter().rposition(|(t, _)| *t == token)?;
        Some(set_aside.remove(at).1)
    }
}

/// Leaves a coroutine's yield, made by the body whose yields leave
/// `token`, for that body's frame.
#[inline]
pub(crate) fn put_suspend(token: Token, suspend: Suspend) {
    SUSPENDED.with(|slot| slot.put(token, suspend));
}

/// Takes the yield the body whose yields leave `token` made; `None` if it
/// left none.
#[inline]
pub(crate) fn take_suspend(token: Token) -> Option<Suspend> {
    SUSPENDED.with(|slot| slot.take(token))
}

/// Drops whatever yield the body whose yields leave `token` made and
/// nobody took: one it did not suspend at, dropped with its frame.
pub(crate) fn drop_suspend(token: Token) {
    // After the slot is gone, at the thread's end, there is nothing left.
    let _ = SUSPENDED.try_with(|slot| drop(slot.take(token)));
}

#[inline]
pub(crate) fn set_mode(mode: Mode) {
    MODE.with(|m| m.set(mode));
}

#[inline]
pub(crate) fn mode() -> Mode {
    MODE.with(Cell::get)
}

#[inline]
pub(crate) fn set_token(token: Token) {
    TOKEN.with(|t| t.set(token));
}

#[inline]
pub(crate) fn take_token() -> Token {
    TOKEN.with(|t| t.replace(Token::NONE))
}

#[cfg(debug_assertions)]
thread_local! {
    /// The token of the body being polled on this thread.
    static POLLING: Cell<Token> = const { Cell::new(Token::NONE) };
}

/// Marks the body whose yields leave `own` as the one being polled on this
/// thread, until dropped (nested polls restore the outer body), in debug
/// builds only.
///
/// genawaiter, in debug builds only, panics on a yield through the `Co` of
/// a body that has finished, before our guard could see the token; so in
/// those builds a yield also checks that its body is the one being polled,
/// and refuses (as a foreign await) before it reaches genawaiter. Release
/// builds pay nothing for this, and the guard's check covers the case.
#[cfg(debug_assertions)]
#[must_use = "the body counts as polled until this is dropped"]
pub(crate) struct Polling(Token);

#[cfg(debug_assertions)]
impl Polling {
    pub(crate) fn enter(own: Token) -> Self {
        Self(POLLING.with(|p| p.replace(own)))
    }
}

#[cfg(debug_assertions)]
impl Drop for Polling {
    fn drop(&mut self) {
        POLLING.with(|p| p.set(self.0));
    }
}

/// Whether the body whose yields leave `own` is the one being polled on
/// this thread.
#[cfg(debug_assertions)]
#[inline]
pub(crate) fn is_polling(own: Token) -> bool {
    POLLING.with(Cell::get) == own
}

/// Release builds do not check: see [`Polling`].
#[cfg(not(debug_assertions))]
#[inline]
pub(crate) fn is_polling(_own: Token) -> bool {
    true
}

/// Tells the refused yield about to be polled again that it is its body's
/// own.
pub(crate) fn acknowledge_own_refusal(acknowledged: bool) {
    OWN_REFUSAL.with(|a| a.set(acknowledged));
}

/// Whether the body's guard has acknowledged a refused yield as its own.
pub(crate) fn take_own_refusal() -> bool {
    OWN_REFUSAL.with(Cell::take)
}

/// What a body delegates to without a frame of its own, as
/// [`Hinted`]: a function, so that a frame keeps it in one word.
pub(crate) type Hint = fn() -> Hinted;

/// The level a [`Hint`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hinted {
    /// The delegate's name: a plain iterator's type name, or a
    /// hand-written delegate's name.
    pub(crate) name: &'static str,
    /// Whether it is a generator level (a hand-written delegate driven in
    /// place), which has the state of a generator; a plain iterator has
    /// none.
    pub(crate) level: bool,
}

#[inline]
pub(crate) fn hint(hint: Hint) {
    HINT.with(|h| h.set(Some(hint)));
}

#[inline]
pub(crate) fn take_hint() -> Option<Hint> {
    HINT.with(Cell::take)
}

/// Drops whatever was posted and not collected: the delegate a body handed
/// to another generator's `Co`, which no driver will collect.
pub(crate) fn discard_parcel() {
    drop(PARCEL.with(|p| p.borrow_mut().take()));
}

/// Leaves a payload for the other side of this resume.
pub(crate) fn post<T: 'static>(payload: T) {
    let mut payload = Some(payload);
    // Resolved at compile time for each `T`.
    if let Some(error) = (&mut payload as &mut dyn Any).downcast_mut::<Option<AnyError>>() {
        let error = error.take();
        ANY_ERROR.with(|slot| *slot.borrow_mut() = error);
        return;
    }
    let boxed: Option<Box<dyn Any>> = payload.map(|p| Box::new(p) as Box<dyn Any>);
    PARCEL.with(|p| *p.borrow_mut() = boxed);
}

/// Leaves an already boxed payload for the other side of this resume.
pub(crate) fn post_boxed(payload: Box<dyn Any>) {
    PARCEL.with(|p| *p.borrow_mut() = Some(payload));
}

/// Takes the payload left in this resume, if it is a `T`.
pub(crate) fn collect<T: 'static>() -> Option<T> {
    let mut out: Option<T> = None;
    if let Some(error) = (&mut out as &mut dyn Any).downcast_mut::<Option<AnyError>>() {
        *error = ANY_ERROR.with(|slot| slot.borrow_mut().take());
        return out;
    }
    PARCEL
        .with(|p| p.borrow_mut().take())
        .and_then(|parcel| parcel.downcast::<T>().ok())
        .map(|b| *b)
}

#[cfg(test)]
mod tests {
    use super::{Token, collect, drop_suspend, post, put_suspend, take_suspend};
    use crate::{
        AnyError,
        asyncio::{ClockKind, EventLoop, Future, Suspend},
    };
    use std::rc::Rc;

    /// A wait on a fresh future, and that future.
    fn waiting() -> (Suspend, Future<u32>) {
        let future = EventLoop::new(ClockKind::Virtual).create_future::<u32>();
        (Suspend(Some(future.0.clone())), future)
    }

    fn waits_on(suspend: &Suspend, future: &Future<u32>) -> bool {
        suspend
            .0
            .as_ref()
            .is_some_and(|waitable| waitable.id() == Rc::as_ptr(&future.0).cast())
    }

    #[test]
    fn a_coroutine_yield_made_while_another_waits_sets_that_aside_and_each_body_takes_its_own() {
        let (first, future) = waiting();
        let (a, b) = (Token::for_new_body(), Token::for_new_body());
        put_suspend(a, first);
        put_suspend(b, Suspend::NOW);
        assert!(
            take_suspend(b).is_some_and(|s| s.0.is_none()),
            "b's own yield"
        );
        assert!(take_suspend(b).is_none(), "taken once");
        assert!(
            take_suspend(a).is_some_and(|s| waits_on(&s, &future)),
            "a's, set aside"
        );
        assert!(take_suspend(a).is_none(), "taken once");
    }

    #[test]
    fn a_coroutine_yield_nobody_took_is_dropped_with_its_body() {
        let (suspend, future) = waiting();
        let (body, other) = (Token::for_new_body(), Token::for_new_body());
        put_suspend(body, suspend);
        put_suspend(other, Suspend::NOW);
        assert_eq!(Rc::strong_count(&future.0), 2, "held, set aside");
        drop_suspend(body);
        assert_eq!(Rc::strong_count(&future.0), 1);
        assert!(take_suspend(body).is_none());
        assert!(take_suspend(other).is_some());
    }

    #[test]
    fn an_any_error_and_a_boxed_payload_each_come_back_as_posted() {
        post(AnyError::msg("thrown"));
        assert_eq!(collect::<AnyError>().unwrap().to_string(), "thrown");
        assert!(collect::<AnyError>().is_none(), "taken once");
        post(7_u32);
        assert!(collect::<String>().is_none(), "another type is refused");
        post(String::from("ret"));
        assert_eq!(collect::<String>().as_deref(), Some("ret"));
    }
}
