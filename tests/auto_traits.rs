//! Which auto traits each flavour has, so that a change to them is seen.
//! The checks are made by the compiler: a test here fails by not building.
//!
//! The root `Generator` runs on a single-threaded engine and is neither
//! `Send` nor `Sync`; `yieldfrom::sync::Generator` is both. Both are `Unpin`
//! whatever they yield, so they can be polled as streams without pinning.

use std::marker::PhantomPinned;
use yieldfrom::{AnyError, Error, GenState, Step, Unraisable};

fn is_send<T: Send>() {}
fn is_sync<T: Sync>() {}
fn is_unpin<T: Unpin>() {}
fn is_into_iterator<T: IntoIterator>() {}
fn is_fused_iterator<T: std::iter::FusedIterator>() {}
fn is_stream<T: futures::Stream>() {}
fn is_debug<T: std::fmt::Debug>() {}

/// Compiles only if `$ty` does not implement `$auto`: with the trait
/// implemented, `some_item` would be ambiguous between the two impls.
macro_rules! assert_not_impl {
    ($ty:ty: $auto:path) => {{
        trait AmbiguousIfImpl<A> {
            fn some_item() {}
        }
        impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
        #[allow(dead_code, reason = "only named in a type")]
        struct Invalid;
        impl<T: ?Sized + $auto> AmbiguousIfImpl<Invalid> for T {}
        let _ = <$ty as AmbiguousIfImpl<_>>::some_item;
    }};
}

#[test]
fn the_single_threaded_generator_is_neither_send_nor_sync() {
    assert_not_impl!(yieldfrom::Generator<i32>: Send);
    assert_not_impl!(yieldfrom::Generator<i32>: Sync);
    assert_not_impl!(yieldfrom::Co<i32>: Send);
}

#[test]
fn the_thread_safe_generator_is_send_and_sync() {
    is_send::<yieldfrom::sync::Generator<i32>>();
    is_sync::<yieldfrom::sync::Generator<i32>>();
    is_send::<yieldfrom::sync::Generator<String, String, Vec<u8>>>();
    is_sync::<yieldfrom::sync::Generator<String, String, Vec<u8>>>();
}

#[test]
fn the_thread_safe_co_can_be_held_across_threads() {
    is_send::<yieldfrom::sync::Co<i32>>();
}

#[test]
fn both_generators_are_unpin_even_when_what_they_yield_is_not() {
    is_unpin::<yieldfrom::Generator<i32>>();
    is_unpin::<yieldfrom::Generator<PhantomPinned, PhantomPinned, PhantomPinned>>();
    is_unpin::<yieldfrom::sync::Generator<i32>>();
    is_unpin::<yieldfrom::sync::Generator<PhantomPinned, PhantomPinned, PhantomPinned>>();
}

#[test]
fn both_generators_iterate_as_fused_iterators_and_streams_and_are_debug() {
    is_into_iterator::<yieldfrom::Generator<i32>>();
    is_into_iterator::<&yieldfrom::Generator<i32>>();
    is_fused_iterator::<yieldfrom::Iter<'static, i32>>();
    is_fused_iterator::<yieldfrom::IntoIter<i32>>();
    is_stream::<yieldfrom::Iter<'static, i32>>();
    is_stream::<yieldfrom::IntoIter<i32>>();
    is_debug::<yieldfrom::Generator<i32>>();
    is_debug::<yieldfrom::IntoIter<i32>>();
    is_into_iterator::<yieldfrom::sync::Generator<i32>>();
    is_into_iterator::<&yieldfrom::sync::Generator<i32>>();
    is_fused_iterator::<yieldfrom::sync::Iter<'static, i32>>();
    is_fused_iterator::<yieldfrom::sync::IntoIter<i32>>();
    is_stream::<yieldfrom::sync::IntoIter<i32>>();
    is_debug::<yieldfrom::sync::Generator<i32>>();
    is_send::<yieldfrom::sync::IntoIter<i32>>();
    is_send::<yieldfrom::sync::Iter<'static, i32>>();
}

#[test]
fn what_operations_return_can_cross_threads() {
    is_send::<AnyError>();
    is_sync::<AnyError>();
    is_send::<Error<AnyError>>();
    is_sync::<Error<AnyError>>();
    is_send::<Step<i32, String>>();
    is_send::<GenState>();
    is_sync::<GenState>();
    is_send::<Unraisable>();
    is_sync::<Unraisable>();
}

#[test]
fn an_operation_error_converts_into_any_error_and_a_boxed_std_error() {
    fn is_std_error<T: std::error::Error + Send + Sync + 'static>() {}
    fn into_boxed<T: Into<Box<dyn std::error::Error + Send + Sync>>>() {}
    fn into_any<T: Into<AnyError>>() {}
    is_std_error::<Error<yieldfrom::GeneratorExit>>();
    into_boxed::<Error<AnyError>>();
    into_boxed::<Error<AnyError, String>>();
    into_any::<Error<AnyError, String>>();
    let converted: AnyError = Error::<AnyError>::IgnoredGeneratorExit { name: "g" }.into();
    assert_eq!(converted.to_string(), "generator ignored GeneratorExit");
}

#[test]
fn a_generator_debug_shows_its_name_and_state() {
    let g: yieldfrom::Generator<i32> = yieldfrom::Generator::new("shown", |co| async move {
        co.yield_(1).await?;
        Ok(())
    });
    assert_eq!(
        format!("{g:?}"),
        "Generator { name: \"shown\", state: Created, .. }"
    );
    g.next().unwrap();
    assert_eq!(
        format!("{g:?}"),
        "Generator { name: \"shown\", state: Suspended, .. }"
    );
}

#[test]
fn the_bridges_handles_cross_threads_while_the_loop_does_not() {
    use std::rc::Rc;
    use yieldfrom::asyncio::{EventLoop, LocalSetter, LoopClosed, LoopRemote};
    is_send::<LoopRemote>();
    is_sync::<LoopRemote>();
    is_send::<LocalSetter<u32>>();
    // The value's type decides what `with` accepts, not where a setter goes.
    is_send::<LocalSetter<Rc<u32>>>();
    is_send::<LoopClosed<fn(&EventLoop)>>();
    is_debug::<LoopClosed<fn(&EventLoop)>>();
    assert_not_impl!(EventLoop: Send);
}

#[cfg(unix)]
#[test]
fn transports_and_servers_stay_on_the_loops_thread_while_os_errors_cross_threads() {
    use yieldfrom::asyncio::{
        BrokenPipeError, ConnectionAbortedError, ConnectionRefusedError, ConnectionResetError,
        DatagramTransport, FileNotFoundError, GaiError, OsError, PermissionError, Server,
        TimeoutError, Transport, TransportClosedError,
    };
    fn is_std_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_not_impl!(Transport: Send);
    assert_not_impl!(DatagramTransport: Send);
    assert_not_impl!(Server: Send);
    is_debug::<Transport>();
    is_debug::<DatagramTransport>();
    is_debug::<Server>();
    is_std_error::<ConnectionResetError>();
    is_std_error::<ConnectionRefusedError>();
    is_std_error::<ConnectionAbortedError>();
    is_std_error::<BrokenPipeError>();
    is_std_error::<FileNotFoundError>();
    is_std_error::<PermissionError>();
    is_std_error::<TimeoutError>();
    is_std_error::<OsError>();
    is_std_error::<GaiError>();
    is_std_error::<TransportClosedError>();
}

#[cfg(unix)]
#[test]
fn streams_stay_on_the_loops_thread_while_their_errors_cross_threads() {
    use yieldfrom::asyncio::{IncompleteReadError, LimitOverrunError, StreamReader, StreamWriter};
    fn is_std_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_not_impl!(StreamReader: Send);
    assert_not_impl!(StreamWriter: Send);
    is_debug::<StreamReader>();
    is_debug::<StreamWriter>();
    is_std_error::<IncompleteReadError>();
    is_std_error::<LimitOverrunError>();
}
