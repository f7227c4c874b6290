//! The languages the lab speaks, and how a request or a page names one.

use serde::{Deserialize, Serialize};

use super::en::{EN, EN_PANELS};
use super::ja::{JA, JA_PANELS};
use super::texts::{PanelTexts, Texts};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

/// The cookie that remembers the learner's language, so the server renders it from the first byte.
pub const LANG_COOKIE: &str = "lab_lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().get(..2)?.to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }

    /// The first supported language in an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .find_map(|part| Lang::from_code(part.split(';').next()?))
    }

    /// The language named by the `lab_lang` cookie in a `Cookie` header.
    pub fn from_cookie_header(header: &str) -> Option<Lang> {
        header.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == LANG_COOKIE)
                .then(|| Lang::from_code(value))
                .flatten()
        })
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Ja => &JA,
        }
    }

    pub fn panel_texts(self) -> &'static PanelTexts {
        match self {
            Lang::En => &EN_PANELS,
            Lang::Ja => &JA_PANELS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_comes_from_cookie_or_accept_language() {
        assert_eq!(Lang::from_cookie_header("a=b; lab_lang=ja"), Some(Lang::Ja));
        assert_eq!(Lang::from_cookie_header("a=b"), None);
        assert_eq!(
            Lang::from_accept_language("fr-FR,ja;q=0.8,en;q=0.5"),
            Some(Lang::Ja)
        );
        assert_eq!(Lang::from_accept_language("de"), None);
    }
}
