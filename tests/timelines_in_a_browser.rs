//! The checked-in timelines open in a real browser: headless Chromium
//! photographs them. Skipped, loudly, where Chromium is not installed (CI
//! checks the pictures byte for byte in tests/examples.rs instead).

use std::{path::Path, process::Command};

/// Photographs `svg` in headless Chromium at `width` by `height`; the PNG's
/// bytes, or `None` if Chromium is not there.
fn screenshot(svg: &Path, width: u32, height: u32) -> Option<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!(
        "yieldfrom-chromium-{}-{}",
        std::process::id(),
        svg.file_stem()?.to_string_lossy()
    ));
    std::fs::create_dir_all(&dir).ok()?;
    let png = dir.join("shot.png");
    let status = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("file://{}", svg.display()))
        .output()
        .ok()?;
    assert!(
        status.status.success(),
        "chromium failed on {}",
        svg.display()
    );
    let bytes = std::fs::read(&png).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    Some(bytes)
}

/// A PNG's width and height, from its header.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[1..4], b"PNG", "not a PNG");
    let word = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

#[test]
fn the_timelines_of_two_tasks_and_of_two_hundred_render_in_chromium() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/timelines");
    let empty = std::env::temp_dir().join(format!("yieldfrom-empty-{}.svg", std::process::id()));
    std::fs::write(
        &empty,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>",
    )
    .unwrap();
    let blank = screenshot(&empty, 1240, 200);
    std::fs::remove_file(&empty).unwrap();
    let Some(blank) = blank else {
        eprintln!(
            "\n*** SKIPPED: chromium is not installed, so the timelines were not opened in a \
             browser (apt-get install chromium) ***\n"
        );
        return;
    };
    let small = screenshot(&docs.join("timeouts.svg"), 1240, 200).unwrap();
    let crowd = screenshot(&docs.join("crowd.svg"), 1240, 4700).unwrap();
    assert_eq!(png_size(&small), (1240, 200));
    assert_eq!(png_size(&crowd), (1240, 4700));
    // An empty page compresses to almost nothing; a drawn timeline does
    // not.
    assert!(
        small.len() > 2 * blank.len(),
        "{} vs {}",
        small.len(),
        blank.len()
    );
    assert!(
        crowd.len() > 10 * small.len() / 2,
        "{} vs {}",
        crowd.len(),
        small.len()
    );
}
