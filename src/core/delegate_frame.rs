//! The frame of a hand-written [`Delegate`]: what `Generator::from_delegate`
//! holds instead of a body. It calls the delegate's methods directly,
//! with no engine and no body future under them: one allocation, holding
//! the delegate itself.

use super::{
    engine::MaybeSend,
    frame::{BoxFrame, Call, Frame, KillOnUnwind, Raw},
};
use crate::{
    Delegate, Step,
    exception::{Exception, GeneratorExit, Interrupt},
    mailbox::{self, Hint, Hinted, Mode},
    trash,
};
use pin_project_lite::pin_project;
use std::{any::Any, cell::Cell, mem, pin::Pin};

pin_project! {
    /// A delegate with the frame's bookkeeping around it. Nothing in it is
    /// pinned (the delegate is an ordinary value, moved out when it is
    /// done with), so it is `Unpin` whatever the delegate is.
    pub(crate) struct DelegateFrame<D>
    where
        D: Delegate,
        D: 'static,
    {
        // `None` once it has returned, raised, been closed or panicked: it
        // is never called again.
        delegate: Option<D>,
        name: &'static str,
        // Set for the crate's own waits (a queue's `get()`, ...), which a
        // `yield_from` may drive in place: what names them there.
        in_place: Option<Hint>,
        ret: Option<D::Return>,
    }
}

impl<D> DelegateFrame<D>
where
    D: Delegate + MaybeSend + 'static,
    D::Yield: MaybeSend + 'static,
    D::Send: MaybeSend + 'static,
    D::Return: MaybeSend + 'static,
    D::Error: MaybeSend,
{
    /// Builds the frame of a delegate; nothing runs. A frame driven in
    /// place reuses the allocation of the last one that finished on this
    /// thread, if that was of the same kind.
    pub(crate) fn boxed(
        delegate: D,
        in_place: Option<Hint>,
    ) -> BoxFrame<D::Yield, D::Send, D::Error> {
        let name = delegate.name();
        if in_place.is_some() {
            if let Some(mut spare) = take_spare::<Self>() {
                // Field by field: the spare is empty, nothing to drop.
                spare.name = name;
                spare.delegate = Some(delegate);
                spare.in_place = in_place;
                return Box::into_pin(spare);
            }
        }
        Box::pin(Self {
            name,
            delegate: Some(delegate),
            in_place,
            ret: None,
        })
    }
}

thread_local! {
    /// The allocation of the last frame driven in place that finished on
    /// this thread, empty. The crate's waits (a queue's `get()`, a
    /// `sleep`) come one after another, one frame each: reusing it spares
    /// a `malloc` and a `free` per wait, which were a quarter of what a
    /// queue round trip through `get()` cost over one through `get_in`
    /// (callgrind).
    static SPARE: Cell<Option<Box<dyn Any>>> = const { Cell::new(None) };
}

/// The spare frame, if it is a `T`; one of another kind is freed.
fn take_spare<T: 'static>() -> Option<Box<T>> {
    SPARE
        .try_with(Cell::take)
        .ok()
        .flatten()
        .and_then(|spare| spare.downcast().ok())
}

impl<D: Delegate + 'static> DelegateFrame<D> {
    // Kept out of `resume`'s hot path, a yield.
    #[cold]
    #[inline(never)]
    fn kill(&mut self) {
        if let Some(delegate) = self.delegate.take() {
            if self.in_place.is_some() {
                // The crate's own waits hold no generator, so their drop
                // cannot recurse into a chain of finalisations.
                drop(delegate);
            } else {
                trash::dispose(self.name, delegate);
            }
        }
    }
}

impl<D> Frame<D::Yield, D::Send, D::Error> for DelegateFrame<D>
where
    D: Delegate + MaybeSend + 'static,
    D::Yield: MaybeSend + 'static,
    D::Send: MaybeSend + 'static,
    D::Return: MaybeSend + 'static,
    D::Error: MaybeSend,
{
    /// One call of the delegate, chosen by the mailbox's mode as a body's
    /// yield would be resumed: `send`, `throw` with the error posted, or
    /// `close`.
    #[inline]
    fn resume(self: Pin<&mut Self>, arg: Option<D::Send>) -> Raw<D::Yield> {
        let call = match mailbox::mode() {
            Mode::Send => Call::Send(arg),
            Mode::Throw => match mailbox::collect::<D::Error>() {
                Some(e) => Call::Throw(e),
                None => unreachable!("Mode::Throw always comes with a thrown error"),
            },
            Mode::Close => Call::Close,
            Mode::Return => unreachable!("a hand-written delegate delegates to nothing"),
        };
        match self.call(call) {
            Ok(Some(y)) => Raw::Yielded(y),
            Ok(None) => Raw::Returned,
            Err(e) => {
                mailbox::post(e);
                Raw::Raised
            }
        }
    }

    /// `close` is PEP 380's close of a delegate, after which
    /// `GeneratorExit` is raised in its delegator.
    #[inline]
    fn call(
        self: Pin<&mut Self>,
        call: Call<D::Send, D::Error>,
    ) -> Result<Option<D::Yield>, D::Error> {
        let this = self.get_mut();
        let unwinding = KillOnUnwind(&mut this.delegate);
        let Some(delegate) = unwinding.0.as_mut() else {
            unreachable!("a driver never resumes a finished frame")
        };
        // The crate's own waits mark their `send` `#[inline]`: returned
        // through memory and read back at once, its result stalled the
        // wait (docs/performance.md, "Stores the processor cannot
        // forward").
        let step = match call {
            Call::Send(value) => delegate.send(value),
            Call::Throw(e) => delegate.throw(e),
            Call::Close => delegate.close().and_then(|()| {
                Err(D::Error::from_interrupt(Interrupt::GeneratorExit(
                    GeneratorExit,
                )))
            }),
        };
        mem::forget(unwinding);
        match step {
            Ok(Step::Yielded(y)) => Ok(Some(y)),
            Ok(Step::Returned(r)) => {
                this.ret = Some(r);
                if this.in_place.is_some() {
                    // Every wait of the crate's own ends here: dropped
                    // inline, as `kill` would (they hold no generator).
                    this.delegate = None;
                } else {
                    this.kill();
                }
                Ok(None)
            }
            Ok(Step::Stopped(never)) => match never {},
            Err(e) => {
                this.kill();
                Err(e)
            }
        }
    }

    fn take_return(self: Pin<&mut Self>, out: &mut dyn Any) {
        if let Some(out) = out.downcast_mut::<Option<D::Return>>() {
            *out = self.get_mut().ret.take();
        }
    }

    fn take_return_boxed(self: Pin<&mut Self>) -> Box<dyn Any> {
        Box::new(self.get_mut().ret.take())
    }

    fn name(&self) -> &'static str {
        self.name
    }

    fn hinted(&self) -> Option<Hinted> {
        None
    }

    fn in_place(&self) -> Option<Hint> {
        self.in_place.filter(|_| self.delegate.is_some())
    }

    fn is_finished(&self) -> bool {
        self.delegate.is_none()
    }

    fn recycle(self: Pin<Box<Self>>) {
        if self.in_place.is_some() && self.delegate.is_none() && self.ret.is_none() {
            let frame = Pin::into_inner(self);
            // A thread being torn down frees it instead.
            let _ = SPARE.try_with(move |spare| spare.set(Some(frame)));
        }
    }
}
