//! The unraisable hook may replace or remove itself while it runs, as a
//! one-shot hook does: CPython allows `sys.unraisablehook` to be reassigned
//! from inside the hook. Kept in a file of its own because a failure here
//! can leave the process-wide hook locked for every other test.

use std::{
    sync::{Arc, Mutex, mpsc},
    thread,
    time::Duration,
};
use yieldfrom::{AnyError, Generator, set_unraisable_hook, take_unraisable_hook};

#[test]
fn a_hook_may_remove_itself_while_it_runs() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    set_unraisable_hook(move |u| {
        sink.lock().unwrap().push(u.message.clone());
        // One-shot: restore the default hook.
        take_unraisable_hook();
    });
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        let g: Generator<i32> = Generator::new("bad_cleanup", |co| async move {
            co.yield_(1).await.ok();
            Err(AnyError::msg("cleanup failed"))
        });
        g.next().unwrap();
        drop(g);
        done_tx.send(()).unwrap();
    });
    assert!(
        done_rx.recv_timeout(Duration::from_secs(2)).is_ok(),
        "dropping the generator did not finish: the hook deadlocked"
    );
    assert_eq!(seen.lock().unwrap().as_slice(), ["\"cleanup failed\""]);
    assert!(!take_unraisable_hook(), "the hook removed itself");
}
