//! Ctrl+C under `run`, as `asyncio.run` handles it in CPython 3.11: the
//! first `SIGINT` cancels the main task and the run ends with
//! `KeyboardInterrupt` if the main task ends cancelled; a second one ends
//! the run at once; afterwards `SIGINT` ends the process again; a run off
//! the main thread, or under a handler of the program's own, leaves it
//! alone; and waiting for Ctrl+C is no reason to wait forever.
//!
//! `run` takes `SIGINT` only on the main thread, and a scenario may end
//! its process, so each scenario runs in a process of its own: this file
//! is its own harness (`harness = false`), starting its binary again with
//! `--scenario=NAME`, in which the scenario raises `SIGINT` to itself. The
//! transcripts expected are what the same programs print under CPython
//! 3.11 (checked by hand with `python3`; see the CHANGELOG).

#[cfg(unix)]
mod trace;

#[cfg(unix)]
mod scenarios {
    use signal_hook::{consts::SIGINT, low_level::raise};
    use std::{
        io::Write,
        os::unix::process::ExitStatusExt,
        process::{Command, ExitStatus, Stdio},
        time::{Duration, Instant},
    };
    use yieldfrom::{
        AnyError,
        asyncio::{
            CancelledError, ClockKind, Coroutine, EventLoop, KeyboardInterrupt, coroutine,
            run_with, sleep,
        },
    };

    /// How a scenario's process ends.
    #[derive(Debug, PartialEq)]
    enum End {
        Exit(i32),
        Signal(i32),
    }

    struct Scenario {
        name: &'static str,
        body: fn(),
        stdout: &'static str,
        end: End,
    }

    fn outcome<T: std::fmt::Debug>(result: &Result<T, AnyError>) -> String {
        match result {
            Ok(value) => format!("run returned {value:?}"),
            Err(e) if e.is::<KeyboardInterrupt>() => "run raised KeyboardInterrupt".into(),
            Err(e) => format!("run raised {e}"),
        }
    }

    fn say(line: impl std::fmt::Display) {
        println!("{line}");
        let _ = std::io::stdout().flush();
    }

    /// Raises `SIGINT`, then sleeps: the loop sees the signal first.
    fn interrupted_sleep(co_name: &'static str) -> Coroutine {
        coroutine(co_name, |co| async move {
            raise(SIGINT).map_err(AnyError::new)?;
            co.yield_from(sleep(10.0)).await
        })
    }

    fn first_sigint_cancels_main_and_the_run_raises_keyboard_interrupt() {
        let result = run_with(
            ClockKind::Virtual,
            coroutine("main", |co| async move {
                EventLoop::running()?.create_task(coroutine("background", |co| async move {
                    let slept = co.yield_from(sleep(100.0)).await;
                    if matches!(&slept, Err(e) if e.is::<CancelledError>()) {
                        say("background cancelled");
                    }
                    slept
                }))?;
                say("tick");
                let slept = co.yield_from(interrupted_sleep("sleeper")).await;
                if matches!(&slept, Err(e) if e.is::<CancelledError>()) {
                    say(format!(
                        "main cancelled at {}",
                        EventLoop::running()?.time()
                    ));
                }
                slept
            }),
        );
        say(outcome(&result));
    }

    fn a_main_that_catches_the_cancellation_returns_its_value() {
        let result = run_with(
            ClockKind::Virtual,
            coroutine("main", |co| async move {
                match co.yield_from(interrupted_sleep("sleeper")).await {
                    Err(e) if e.is::<CancelledError>() => {
                        say("caught");
                        Ok(42)
                    }
                    other => other.map(|()| 0),
                }
            }),
        );
        say(outcome(&result));
    }

    fn a_main_that_raises_another_error_raises_it() {
        let result = run_with(
            ClockKind::Virtual,
            coroutine("main", |co| async move {
                co.yield_from(interrupted_sleep("sleeper"))
                    .await
                    .map_err(|_| AnyError::msg("ValueError: after cancel"))
            }),
        );
        say(outcome(&result));
    }

    fn a_second_sigint_ends_the_run_at_once_and_shutdown_cancels_main_again() {
        let result = run_with(
            ClockKind::Virtual,
            coroutine("main", |co| async move {
                let Err(cancelled) = co.yield_from(interrupted_sleep("sleeper")).await else {
                    return Ok(());
                };
                say("cleaning");
                let cleaned = co.yield_from(interrupted_sleep("cleanup")).await;
                if cleaned.is_err() {
                    say(format!(
                        "cleanup cancelled at {}",
                        EventLoop::running()?.time()
                    ));
                } else {
                    say("cleaned");
                }
                Err(cancelled)
            }),
        );
        say(outcome(&result));
    }

    fn after_the_run_sigint_ends_the_process_again() {
        let result = run_with(ClockKind::Virtual, coroutine("main", |_| async { Ok(1) }));
        say(outcome(&result));
        let _ = raise(SIGINT);
        say("survived SIGINT");
    }

    fn a_run_off_the_main_thread_leaves_ctrl_c_alone() {
        let result = std::thread::spawn(|| {
            run_with(ClockKind::Virtual, interrupted_sleep("main")).map_err(|e| e.to_string())
        })
        .join();
        say(format!("survived SIGINT: {result:?}"));
    }

    fn a_sigint_handler_added_by_main_takes_over_from_runs() {
        let result = run_with(
            ClockKind::Virtual,
            coroutine("main", |co| async move {
                let lp = EventLoop::running()?;
                let got = lp.create_future::<&'static str>();
                let setter = got.clone();
                lp.add_signal_handler(SIGINT, move || {
                    say("main's handler");
                    let _ = setter.set_result("handled");
                })?;
                raise(SIGINT).map_err(AnyError::new)?;
                got.wait_in(&co).await
            }),
        );
        say(outcome(&result));
    }

    fn a_run_with_nothing_left_to_run_still_says_so_instead_of_waiting_for_ctrl_c() {
        let result = run_with(
            ClockKind::Virtual,
            coroutine("main", |co| async move {
                let never = EventLoop::running()?.create_future::<()>();
                never.wait_in(&co).await
            }),
        );
        say(outcome(&result));
    }

    fn scenarios() -> Vec<Scenario> {
        vec![
            Scenario {
                name: "first_sigint_cancels_main_and_the_run_raises_keyboard_interrupt",
                body: first_sigint_cancels_main_and_the_run_raises_keyboard_interrupt,
                stdout: "tick\nmain cancelled at 0\nbackground cancelled\n\
                         run raised KeyboardInterrupt\n",
                end: End::Exit(0),
            },
            Scenario {
                name: "a_main_that_catches_the_cancellation_returns_its_value",
                body: a_main_that_catches_the_cancellation_returns_its_value,
                stdout: "caught\nrun returned 42\n",
                end: End::Exit(0),
            },
            Scenario {
                name: "a_main_that_raises_another_error_raises_it",
                body: a_main_that_raises_another_error_raises_it,
                stdout: "run raised ValueError: after cancel\n",
                end: End::Exit(0),
            },
            Scenario {
                name: "a_second_sigint_ends_the_run_at_once_and_shutdown_cancels_main_again",
                body: a_second_sigint_ends_the_run_at_once_and_shutdown_cancels_main_again,
                stdout: "cleaning\ncleanup cancelled at 0\nrun raised KeyboardInterrupt\n",
                end: End::Exit(0),
            },
            Scenario {
                name: "after_the_run_sigint_ends_the_process_again",
                body: after_the_run_sigint_ends_the_process_again,
                stdout: "run returned 1\n",
                end: End::Signal(SIGINT),
            },
            Scenario {
                name: "a_run_off_the_main_thread_leaves_ctrl_c_alone",
                body: a_run_off_the_main_thread_leaves_ctrl_c_alone,
                stdout: "",
                end: End::Signal(SIGINT),
            },
            Scenario {
                name: "a_sigint_handler_added_by_main_takes_over_from_runs",
                body: a_sigint_handler_added_by_main_takes_over_from_runs,
                stdout: "main's handler\nrun returned \"handled\"\n",
                end: End::Exit(0),
            },
            Scenario {
                name: "a_run_with_nothing_left_to_run_still_says_so_instead_of_waiting_for_ctrl_c",
                body: a_run_with_nothing_left_to_run_still_says_so_instead_of_waiting_for_ctrl_c,
                stdout: "run raised the event loop has nothing ready, nothing scheduled and \
                         no other thread that could call in: it would wait forever\n",
                end: End::Exit(0),
            },
        ]
    }

    fn end_of(status: ExitStatus) -> End {
        match (status.code(), status.signal()) {
            (Some(code), _) => End::Exit(code),
            (None, Some(signal)) => End::Signal(signal),
            (None, None) => End::Exit(-1),
        }
    }

    /// Runs `scenario` in a process of its own, killed if it takes more
    /// than 20 seconds; what is wrong with how it went, if anything.
    fn check(scenario: &Scenario) -> Option<String> {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .arg(format!("--scenario={}", scenario.name))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                return Some("did not end within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let end = end_of(output.status);
        (stdout != scenario.stdout || end != scenario.end).then(|| {
            format!(
                "expected {:?} ending {:?}, got {stdout:?} ending {end:?}; stderr: {}",
                scenario.stdout,
                scenario.end,
                String::from_utf8_lossy(&output.stderr)
            )
        })
    }

    pub fn main() {
        let all = scenarios();
        if let Some(name) =
            std::env::args().find_map(|a| a.strip_prefix("--scenario=").map(String::from))
        {
            let scenario = all
                .iter()
                .find(|s| s.name == name)
                .expect("a known scenario");
            (scenario.body)();
            return;
        }
        let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
        let chosen: Vec<&Scenario> = all
            .iter()
            .filter(|s| filter.as_ref().is_none_or(|f| s.name.contains(f.as_str())))
            .collect();
        super::trace::children_start_with_default_sigint();
        println!("\nrunning {} tests", chosen.len());
        let failures: Vec<(&str, String)> = chosen
            .iter()
            .filter_map(|s| {
                let failure = check(s);
                println!(
                    "test {} ... {}",
                    s.name,
                    if failure.is_some() { "FAILED" } else { "ok" }
                );
                failure.map(|f| (s.name, f))
            })
            .collect();
        for (name, failure) in &failures {
            println!("\n---- {name} ----\n{failure}");
        }
        let passed = chosen.len() - failures.len();
        let verdict = if failures.is_empty() { "ok" } else { "FAILED" };
        println!(
            "\ntest result: {verdict}. {passed} passed; {} failed; 0 ignored; 0 measured; {} filtered out\n",
            failures.len(),
            all.len() - chosen.len()
        );
        if !failures.is_empty() {
            std::process::exit(101);
        }
    }
}

fn main() {
    #[cfg(unix)]
    scenarios::main();
}
