"""ISBN-13: the validator of the book field, and valid numbers for demo and test data."""

from django.core.exceptions import ValidationError

INVALID_ISBN = "Enter a valid ISBN-13: 13 digits starting 978 or 979, with a correct check digit."


def isbn13_check_digit(first_twelve):
    """Return the ISBN-13 check digit for a string of twelve digits."""
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(first_twelve))
    return str((10 - total % 10) % 10)


def isbn13(n, prefix="978"):
    """Return the n-th valid ISBN-13 with the given prefix (978 or 979)."""
    first_twelve = f"{prefix}{n:09d}"
    return first_twelve + isbn13_check_digit(first_twelve)


def validate_isbn13(value):
    """Accept a 13-digit ISBN (978/979 prefix) whose check digit is right."""
    if not (len(value) == 13 and value.isascii() and value.isdigit() and value[:3] in ("978", "979")):
        raise ValidationError(INVALID_ISBN, code="invalid_isbn")
    if isbn13_check_digit(value[:12]) != value[12]:
        raise ValidationError(INVALID_ISBN, code="invalid_isbn")
