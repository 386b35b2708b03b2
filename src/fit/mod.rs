//! The engine's inputs estimated from data: distributions of durations fitted by maximum
//! likelihood and ranked by AIC ([`durations`]), and a Poisson source's rate and profiles from
//! referral times ([`arrivals`]). Pure: no IO and no command line. What is fitted is written as
//! the scenario file states it, in the engine's own parameterisation; the tests load it back
//! through [`crate::scenario`], so the two cannot drift apart.

pub mod arrivals;
pub mod durations;

/// `value` rounded to `digits` significant figures and written as TOML reads it: without an
/// exponent from 1e-6 to 1e15 (beyond, with one), trailing zeros dropped (`7.021`, `2`, `0.0153`).
pub fn figure(value: f64, digits: usize) -> String {
    if value == 0.0 || !value.is_finite() {
        return value.to_string();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let text = if (-6..15).contains(&magnitude) {
        let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
        format!("{value:.decimals$}")
    } else {
        let mantissa_decimals = digits.saturating_sub(1);
        format!("{value:.mantissa_decimals$e}")
    };
    trim_zeros(&text)
}

/// `text` without the zeros ending its fraction, nor a point left bare: `2.500` is `2.5`,
/// `2.000` is `2`, `1.200e-7` is `1.2e-7`.
fn trim_zeros(text: &str) -> String {
    let (number, exponent) = text.split_at(text.find('e').unwrap_or(text.len()));
    if !number.contains('.') {
        return text.to_owned();
    }
    format!("{}{exponent}", number.trim_end_matches('0').trim_end_matches('.'))
}

/// `values` as a TOML array assigned to `key`, `closing` after the `]`: on one line when it fits
/// in `width` columns, else as [`toml_array_lines`] writes it.
pub fn toml_array(key: &str, values: &[String], closing: &str, width: usize) -> String {
    let one_line = format!("{key} = [{}]{closing}", values.join(", "));
    if one_line.chars().count() <= width {
        return one_line;
    }
    toml_array_lines(key, values, closing, width)
}

/// `values` as a TOML array assigned to `key`, the values on lines of their own indented by two
/// spaces, as many to a line as fit in `width` columns, `closing` after the `]`.
pub fn toml_array_lines(key: &str, values: &[String], closing: &str, width: usize) -> String {
    let mut text = format!("{key} = [\n");
    let mut line = String::from(" ");
    for value in values {
        if line.len() > 1 && line.len() + 1 + value.len() + 1 > width {
            text.push_str(&line);
            text.push('\n');
            line = String::from(" ");
        }
        line.push(' ');
        line.push_str(value);
        line.push(',');
    }
    text.push_str(&line);
    text.push('\n');
    text.push(']');
    text.push_str(closing);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_keep_four_significant_digits_and_read_as_toml_numbers() {
        assert_eq!(figure(7.021_49, 4), "7.021");
        assert_eq!(figure(4.934_51, 4), "4.935");
        assert_eq!(figure(2.0, 4), "2");
        assert_eq!(figure(9.999_7, 4), "10");
        assert_eq!(figure(12_345.6, 4), "12346");
        assert_eq!(figure(0.015_349, 3), "0.0153");
        assert_eq!(figure(-0.5, 4), "-0.5");
        assert_eq!(figure(1.2e-7, 4), "1.2e-7");
        assert_eq!(figure(3e20, 4), "3e20");
        for text in ["7.021", "2", "1.2e-7", "3e20", "12346"] {
            let parsed: toml::Value = toml::from_str(&format!("x = {text}")).unwrap();
            assert!(parsed["x"]
                .as_float()
                .or(parsed["x"].as_integer().map(|i| i as f64))
                .is_some());
        }
    }

    #[test]
    fn arrays_wrap_within_the_width() {
        let short: Vec<String> = ["1", "2"].map(String::from).to_vec();
        assert_eq!(toml_array("hour", &short, "", 80), "hour = [1, 2]");
        let long: Vec<String> = (0..24).map(|i| format!("{i}.125")).collect();
        let text = toml_array("profile.hour", &long, " }", 40);
        assert!(text.lines().all(|line| line.len() <= 40), "{text}");
        assert!(text.starts_with("profile.hour = [\n  0.125, 1.125,"), "{text}");
        assert!(text.ends_with(",\n] }"), "{text}");
        let parsed: toml::Value = toml::from_str(text.trim_end_matches(" }")).unwrap();
        assert_eq!(parsed["profile"]["hour"].as_array().unwrap().len(), 24);
    }
}
