//! Reading settings by name: trimmed values, numbers, words and flags, each error naming its variable.

use std::time::Duration;

use super::{err, ConfigError};

/// Settings by name, already trimmed (an empty value counts as unset).
pub(super) struct Lookup<'a>(pub(super) &'a dyn Fn(&str) -> Option<String>);

impl Lookup<'_> {
    pub(super) fn var(&self, k: &str) -> Option<String> {
        (self.0)(k)
    }

    /// A positive whole number up to [`upper_bound`] (`default` when unset), named `unit` in
    /// the error. A bound keeps time arithmetic from overflowing and says what is sensible.
    pub(super) fn number(&self, var: &'static str, default: u64, unit: &str) -> Result<u64, ConfigError> {
        let Some(v) = self.var(var) else { return Ok(default) };
        let n = v
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| err(var, format!("`{v}` is not a positive number {unit}")))?;
        let max = upper_bound(var);
        if n > max {
            return Err(err(var, format!("`{v}` is more than the largest sensible value, {max} {unit}")));
        }
        Ok(n)
    }

    /// A positive whole number of `unit`s, as a duration (`secs_per_unit` seconds each).
    pub(super) fn positive(
        &self,
        var: &'static str,
        secs_per_unit: u64,
        default: u64,
        unit: &str,
    ) -> Result<Duration, ConfigError> {
        let n = self.number(var, default, &format!("of {unit}"))?;
        Ok(Duration::from_secs(n.saturating_mul(secs_per_unit)))
    }

    pub(super) fn per_minute(&self, var: &'static str, default: u32) -> Result<u32, ConfigError> {
        let n = self.number(var, u64::from(default), "per minute")?;
        u32::try_from(n).map_err(|_| err(var, format!("`{n}` is too large")))
    }

    /// One of a few words, each with its meaning.
    pub(super) fn choice<T: Copy>(
        &self,
        var: &'static str,
        words: &[(&str, T)],
        default: T,
    ) -> Result<T, ConfigError> {
        let Some(v) = self.var(var) else { return Ok(default) };
        words.iter().find(|(w, _)| *w == v).map(|(_, t)| *t).ok_or_else(|| {
            let names: Vec<String> = words.iter().map(|(w, _)| format!("`{w}`")).collect();
            err(var, format!("`{v}` is not {}", names.join(" or ")))
        })
    }

    /// A socket address such as `127.0.0.1:9464`, or none when unset.
    pub(super) fn address(&self, var: &'static str) -> Result<Option<std::net::SocketAddr>, ConfigError> {
        let Some(v) = self.var(var) else { return Ok(None) };
        v.parse().map(Some).map_err(|_| err(var, format!("`{v}` is not an address like 127.0.0.1:9464")))
    }

    pub(super) fn flag(&self, var: &'static str) -> Result<bool, ConfigError> {
        let words =
            [("false", false), ("0", false), ("no", false), ("true", true), ("1", true), ("yes", true)];
        self.choice(var, &words, false).map_err(|_| {
            err(var, format!("`{}` is not `true` or `false`", self.var(var).unwrap_or_default()))
        })
    }
}

/// The largest value each number setting accepts (issue 29: an unbounded one overflowed the
/// time arithmetic and panicked).
pub(super) fn upper_bound(var: &str) -> u64 {
    match var {
        // A week of inactivity; 90 days in all (Entra's refresh tokens live at most 90 days).
        "SESSION_IDLE_MINUTES" => 7 * 24 * 60,
        "SESSION_MAX_HOURS" => 90 * 24,
        "HTTP_TIMEOUT_SECS" => 300,
        "REQUEST_DEADLINE_SECS" => 600,
        "DRAIN_SECS" => 600,
        "TRUSTED_PROXIES" => 10,
        "RATE_LIMIT_SIGN_INS" | "RATE_LIMIT_TOKEN_CREATES" | "RATE_LIMIT_TOKEN_CHANGES" => 1_000_000,
        "DEMO_EXTRA_ORGS" => crate::demo::devops::MAX_EXTRA_ORGS as u64,
        "DEMO_EXTRA_TOKENS" => crate::demo::devops::MAX_EXTRA_TOKENS as u64,
        _ => u32::MAX as u64,
    }
}
