//! The browser's clock.

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Local wall-clock time with milliseconds, for the attempts table.
pub fn clock() -> String {
    let now = js_sys::Date::new_0();
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        now.get_hours(),
        now.get_minutes(),
        now.get_seconds(),
        now.get_milliseconds()
    )
}

pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// A number from 0 to 1, for the retry loop's jitter.
pub fn random() -> f64 {
    js_sys::Math::random()
}
