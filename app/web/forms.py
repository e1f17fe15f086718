"""WTForms used by the sign-in pages, with Indonesian messages for WTForms' own errors."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

# WTForms writes some errors itself (a field that cannot parse its input); it has no Indonesian catalogue.
_WTFORMS_MESSAGES = {
    "Not a valid integer value.": lazy_gettext("Bukan bilangan bulat yang sah."),
    "Not a valid decimal value.": lazy_gettext("Bukan angka yang sah."),
    "Not a valid float value.": lazy_gettext("Bukan angka yang sah."),
    "Not a valid date value.": lazy_gettext("Bukan tanggal yang sah."),
    "Not a valid datetime value.": lazy_gettext("Bukan tanggal dan waktu yang sah."),
    "Not a valid choice.": lazy_gettext("Pilihan tidak sah."),
    "This field is required.": lazy_gettext("Wajib diisi."),
    "Invalid email address.": lazy_gettext("Alamat email tidak sah."),
    "The CSRF token is missing.": lazy_gettext("Token keamanan formulir tidak ada. Muat ulang halaman."),
    "The CSRF token is invalid.": lazy_gettext("Token keamanan formulir tidak sah. Muat ulang halaman."),
    "The CSRF token has expired.": lazy_gettext("Token keamanan formulir kedaluwarsa. Muat ulang halaman."),
}


class _Translations:
    def gettext(self, string: str) -> str:
        message = _WTFORMS_MESSAGES.get(string)
        return str(message) if message is not None else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


class TindakForm(FlaskForm):
    class Meta:
        def get_translations(self, form: Any) -> _Translations:
            return _Translations()


class LoginForm(TindakForm):
    email = EmailField(
        lazy_gettext("Email"),
        validators=[
            DataRequired(lazy_gettext("Email wajib diisi.")),
            Regexp(r"^[^@\s]+@[^@\s]+$", message=lazy_gettext("Alamat email tidak sah.")),
        ],
    )
    password = PasswordField(
        lazy_gettext("Kata sandi"),
        validators=[
            DataRequired(lazy_gettext("Kata sandi wajib diisi.")),
            Length(max=128, message=lazy_gettext("Kata sandi terlalu panjang.")),
        ],
    )


class CodeForm(TindakForm):
    code = StringField(
        lazy_gettext("Kode verifikasi (6 angka)"),
        validators=[
            DataRequired(lazy_gettext("Kode verifikasi wajib diisi.")),
            Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=lazy_gettext("Kode terdiri atas 6 angka.")),
        ],
    )


def translated(message: str) -> str:
    """A message written in Indonesian elsewhere (services, errors), translated when the catalogue has it."""
    return gettext(message) if message else message


class SignInCodeForm(TindakForm):
    """The second step of signing in: the authenticator's code, or one of the recovery codes."""

    code = StringField(
        lazy_gettext("Kode verifikasi (6 angka) atau kode pemulihan"),
        validators=[
            DataRequired(lazy_gettext("Kode verifikasi wajib diisi.")),
            Regexp(
                r"^\s*(\d{3}\s?\d{3}|[A-Za-z0-9]{5}-?[A-Za-z0-9]{5})\s*$",
                message=lazy_gettext("Masukkan 6 angka dari aplikasi, atau kode pemulihan (10 karakter)."),
            ),
        ],
    )


class PasswordChangeForm(TindakForm):
    current_password = PasswordField(
        lazy_gettext("Kata sandi saat ini"),
        validators=[DataRequired(lazy_gettext("Kata sandi saat ini wajib diisi.")), Length(max=128)],
    )
    new_password = PasswordField(
        lazy_gettext("Kata sandi baru"),
        validators=[
            DataRequired(lazy_gettext("Kata sandi baru wajib diisi.")),
            Length(max=128, message=lazy_gettext("Kata sandi terlalu panjang.")),
        ],
    )
