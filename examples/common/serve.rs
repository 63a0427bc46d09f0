//! What the server examples share: `--port N`, the `listening on` line a
//! test waits for, and a clean stop on `SIGINT` or `SIGTERM`.

use signal_hook::consts::{SIGINT, SIGTERM};
use std::{ffi::c_int, io::Write, net::SocketAddr};
use yieldfrom::{
    AnyError,
    asyncio::{Address, Coroutine, EventLoop, Future, Server, ValueError, coroutine},
};

/// `--port N` (or `--port=N`) on the command line, else `default`; 0 asks
/// the OS for a free port.
///
/// # Errors
///
/// `ValueError` when the value is missing or not a port number.
pub fn port_from_args(default: u16) -> Result<u16, AnyError> {
    let Some(value) = option_from_args("--port") else {
        return Ok(default);
    };
    value.parse().map_err(|_| {
        ValueError {
            message: format!("--port takes a number from 0 to 65535, not {value:?}"),
        }
        .into()
    })
}

/// The value of the first `NAME VALUE` (or `NAME=VALUE`) on the command
/// line, `name` spelled with its dashes; empty when `NAME` ends the line.
pub fn option_from_args(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.split_once('=') {
            Some((option, value)) if option == name => return Some(value.to_owned()),
            None if arg == name => return Some(args.next().unwrap_or_default()),
            _ => {}
        }
    }
    None
}

/// Prints `listening on HOST:PORT` for the server's first socket as the
/// program's first line, flushed at once: a test (or a person) starting
/// the example with `--port 0` learns the port from it.
///
/// # Errors
///
/// `ValueError` for a server with no TCP socket; stdout's error.
pub fn announce(server: &Server) -> Result<SocketAddr, AnyError> {
    let Some(Address::Inet(address)) = server.sockets().into_iter().next() else {
        return Err(ValueError {
            message: "the server has no TCP socket".into(),
        }
        .into());
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {address}")?;
    stdout.flush()?;
    Ok(address)
}

/// `SIGINT` and `SIGTERM` taken for a server's stop, from the moment
/// [`stop_signals`] returns until [`wait`](Self::wait) ends (or this is
/// dropped): neither kills the program meanwhile, and `run`'s own Ctrl+C
/// handling (cancel `main`, end with `KeyboardInterrupt`) steps aside, so
/// that a server can close its connections and end with status 0.
pub struct StopSignals {
    lp: EventLoop,
    stopped: Future<c_int>,
}

/// Takes `SIGINT` and `SIGTERM` on the running loop now. Take them before
/// [`announce`]: whoever reads the `listening on` line may stop the
/// server at once, and that signal must find it ready.
///
/// # Errors
///
/// `RuntimeError` if no loop runs; the loop's errors installing a signal
/// handler.
pub fn stop_signals() -> Result<StopSignals, AnyError> {
    let lp = EventLoop::running()?;
    let stopped: Future<c_int> = lp.create_future();
    // Made first: if taking the second signal fails, dropping it gives
    // back the first.
    let signals = StopSignals {
        lp: lp.clone(),
        stopped: stopped.clone(),
    };
    for signal in [SIGINT, SIGTERM] {
        let stopped = stopped.clone();
        lp.add_signal_handler(signal, move || {
            if !stopped.done() {
                let _ = stopped.set_result(signal);
            }
        })?;
    }
    Ok(signals)
}

impl StopSignals {
    /// Waits for the first of the two signals and returns its name; the
    /// signals get their usual actions back when it returns or is
    /// cancelled.
    pub fn wait(self) -> Coroutine<&'static str> {
        coroutine("until_stopped", |co| async move {
            let signal = self.stopped.wait_in(&co).await?;
            Ok(if signal == SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            })
        })
    }
}

impl Drop for StopSignals {
    fn drop(&mut self) {
        for signal in [SIGINT, SIGTERM] {
            // Fails only once the loop is closed, which let go of them.
            let _ = self.lp.remove_signal_handler(signal);
        }
    }
}
