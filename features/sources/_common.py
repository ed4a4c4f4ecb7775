"""What every source module shares: the observations frame, table reading, downloads, vintages."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from forewarn.errors import InputError, Problem

OBSERVATION_COLUMNS = ("region_id", "indicator", "period", "value", "published")

#: Connect quickly, read patiently: a dead host fails in seconds, a 150 MB zip still arrives.
TIMEOUT = httpx.Timeout(120.0, connect=5.0)
#: Tries per request; only I/O failures (no connection, a read cut short) are tried again.
ATTEMPTS = 3
#: Wait before the second try; doubled before each later one. [s]
BACKOFF = 0.5
#: No new try to *connect* starts this long after the first, so that being offline fails within
#: seconds even where a failing name lookup or a silent firewall takes long. [s]
CONNECT_DEADLINE = 10.0
USER_AGENT = f"forewarn (crisis trafficking-risk research) httpx/{httpx.__version__}"
SIDECAR_SUFFIX = ".source.json"


# ---------------------------------------------------------------------------------------------
# Reading


def check_file(path) -> Path:
    """The path as a Path, or an InputError when there is no such file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(path, "file not found; check the path, or fetch the file again."))
    return path


def read_csv(path, *, member: Callable[[str], bool] | None = None, **kwargs) -> pd.DataFrame:
    """Read a CSV file, or the data CSV inside a zip archive, into a DataFrame.

    Parameters
    ----------
    path : path-like
        A ``.csv`` file or a ``.zip`` holding one.
    member : callable, optional
        For a zip: picks members by name; the largest CSV picked is read (a publisher's zip holds
        the data beside smaller metadata tables). Default: every ``.csv`` member.
    **kwargs
        Passed to :func:`pandas.read_csv`.

    Raises
    ------
    forewarn.errors.InputError
        Missing file, a zip without a CSV, or a file that does not parse as CSV.
    """
    path = check_file(path)
    kwargs.setdefault("encoding", "utf-8-sig")
    kwargs.setdefault("low_memory", False)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                infos = [i for i in archive.infolist() if i.filename.lower().endswith(".csv")
                         and (member is None or member(Path(i.filename).name))]
                if not infos:
                    raise InputError(Problem(path, "the zip archive holds no data CSV (members: "
                                             f"{', '.join(archive.namelist())}); download the "
                                             "publisher's CSV archive again."))
                best = max(infos, key=lambda i: i.file_size)
                with archive.open(best) as handle:
                    return pd.read_csv(handle, **kwargs)
        return pd.read_csv(path, **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError,
            zipfile.BadZipFile) as exc:
        raise InputError(Problem(path, f"does not parse as the publisher's CSV: {exc}")) from None


def require_columns(frame: pd.DataFrame, path, needed, what: str) -> None:
    """Raise an InputError naming every missing column and the columns that were found."""
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns[:30]))
        raise InputError([Problem(path, f"the column '{c}' is missing (found: {found}); this does "
                                  f"not look like {what}.", column=c) for c in missing])


def vintage(path) -> pd.Timestamp:
    """The download date recorded beside a fetched file, or NaT for a file downloaded by hand.

    A file's vintage is the day forewarn downloaded it: the values in it were public by then,
    whatever the publisher revised before.
    """
    side = sidecar_path(path)
    if not side.is_file():
        return pd.NaT
    try:
        stamp = json.loads(side.read_text(encoding="utf-8"))["downloaded"]
        return pd.Timestamp(stamp).tz_convert(None).normalize()
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(Problem(side, f"is not a readable download record ({exc!r}); delete it "
                                 "(the data file is then treated as downloaded by hand) or fetch "
                                 "again.")) from None


def observations(frame: pd.DataFrame, published=pd.NaT) -> pd.DataFrame:
    """The observations contract from a frame with ``region_id, indicator, period, value``.

    Rows without a region (codes that name no country) or without a value are dropped. The
    ``published`` column of ``frame`` is used when there is one, else ``published`` for every
    row; NaT means "not known", which the panel replaces with the period end plus the
    catalogue's publication lag.
    """
    out = pd.DataFrame({
        "region_id": frame["region_id"],
        "indicator": frame["indicator"],
        "period": frame["period"],
        "value": pd.to_numeric(frame["value"], errors="coerce").astype("float64"),
        "published": frame["published"] if "published" in frame else published,
    }, index=frame.index)
    out = out.loc[out["region_id"].notna() & np.isfinite(out["value"])]
    out = out.astype({"region_id": "str", "indicator": "str", "period": "str",
                      "published": "datetime64[ns]"})
    return out.sort_values(["indicator", "region_id", "period"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Fetching


def vintage_folder(cache_dir, name: str) -> Path:
    """``cache_dir/name/YYYY-MM-DD`` for today's download (UTC); each day keeps its own copy."""
    day = dt.datetime.now(dt.UTC).date().isoformat()
    folder = Path(cache_dir) / name / day
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sidecar_path(path) -> Path:
    """Where the download record of ``path`` is kept: ``<file>.source.json`` beside it."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


class Fetcher:
    """HTTP for one source: timeouts, retries on I/O errors, errors that say what to do.

    Parameters
    ----------
    source : str
        Registry name, used in messages.
    reader : str
        Name of the reader for a hand-downloaded file, used in messages (``read_wgi``).
    manual_url : str
        Where a person downloads the file by hand.
    client : httpx.Client, optional
        A client to use (tests pass one with a mock transport); by default one is made with
        forewarn's timeouts and closed after use.
    """

    def __init__(self, source: str, reader: str, manual_url: str,
                 client: httpx.Client | None = None):
        self.source, self.reader, self.manual_url = source, reader, manual_url
        self._own = client is None
        self.client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=True,
                                             headers={"User-Agent": USER_AGENT})

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._own:
            self.client.close()

    def fail(self, message: str) -> InputError:
        """An InputError about this source, to raise."""
        return InputError(Problem(self.source, message))

    def _retrying(self, url, attempt: Callable[[], object]):
        began, last = time.monotonic(), None
        for k in range(ATTEMPTS):
            try:
                return attempt()
            except httpx.TransportError as exc:
                last = exc
                unreachable = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                if k + 1 == ATTEMPTS or (
                        unreachable and time.monotonic() - began > CONNECT_DEADLINE):
                    break
                time.sleep(BACKOFF * 2**k)
        host = httpx.URL(str(url)).host or str(url)
        raise self.fail(
            f"could not reach {host}: {type(last).__name__}: {last}; check your connection or "
            f"download the file by hand from {self.manual_url} and use {self.reader}(path).")

    def _check_status(self, response: httpx.Response) -> None:
        if response.is_success:
            return
        host = response.request.url.host
        if response.status_code in (401, 403):
            raise self.fail(f"{host} refused access ({response.status_code} "
                             f"{response.reason_phrase}); check the credentials this source "
                             "needs (see forewarn.features.sources.SOURCES).")
        raise self.fail(f"{host} answered {response.status_code} {response.reason_phrase} for "
                         f"{_public(response.request.url)}; the publisher may have moved the "
                         f"file: download it by hand from {self.manual_url} and use "
                         f"{self.reader}(path).")

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        """One request, read into memory; raises InputError on failure."""
        def attempt():
            return self.client.request(method, url, **kwargs)
        response = self._retrying(url, attempt)
        self._check_status(response)
        return response

    def json(self, url: str, method: str = "GET", **kwargs):
        """Request a JSON document (GET unless told otherwise)."""
        response = self.request(method, url, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise self.fail(f"{response.request.url.host} did not answer with JSON "
                             f"({_head(response.content)!r}...); the API may have changed: "
                             f"download the data by hand from {self.manual_url} and use "
                             f"{self.reader}(path).") from None

    def download(self, url: str, dest: Path, kind: str, **kwargs) -> Path:
        """Stream ``url`` to ``dest`` (atomically) and write its sidecar.

        ``kind`` ("zip" or "csv") is checked against the first bytes, so an HTML error or
        login page is never cached as data.
        """
        part = dest.with_name(dest.name + ".part")

        def attempt():
            digest = hashlib.sha256()
            with self.client.stream("GET", url, **kwargs) as response:
                self._check_status(response)
                with part.open("wb") as out:
                    for chunk in response.iter_bytes():
                        digest.update(chunk)
                        out.write(chunk)
            return digest.hexdigest(), response.request.url

        try:
            sha, final_url = self._retrying(url, attempt)
            with part.open("rb") as handle:
                self._check_kind(handle.read(512), kind)
        except InputError:
            part.unlink(missing_ok=True)
            raise
        os.replace(part, dest)
        write_sidecar(dest, self.source, final_url, sha)
        return dest

    def save(self, data: bytes, url, dest: Path) -> Path:
        """Write data assembled from API pages to ``dest`` (atomically) and its sidecar."""
        part = dest.with_name(dest.name + ".part")
        part.write_bytes(data)
        os.replace(part, dest)
        write_sidecar(dest, self.source, url, hashlib.sha256(data).hexdigest())
        return dest

    def _check_kind(self, head: bytes, kind: str) -> None:
        body = head.lstrip()
        ok = head.startswith(b"PK") if kind == "zip" else bool(body) and body[:1] != b"<"
        if not ok:
            raise self.fail(f"the download is not a {kind} file (it starts {_head(head)!r}): "
                             "the server sent an error or login page. Download the file by hand "
                             f"from {self.manual_url} and use {self.reader}(path).")


def write_sidecar(dest: Path, source: str, url, sha256: str) -> None:
    """Record where and when ``dest`` was downloaded, and its checksum, in a JSON sidecar."""
    record = {
        "source": source,
        "url": _public(url),
        "downloaded": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sha256": sha256,
        "bytes": dest.stat().st_size,
    }
    sidecar_path(dest).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _public(url) -> str:
    """The URL without query values that could be secrets."""
    url = httpx.URL(str(url))
    secret = {"key", "password", "token", "access_token"}
    params = [(k, "***" if k.lower() in secret else v) for k, v in url.params.multi_items()]
    return str(url.copy_with(params=params)) if params else str(url)


def _head(content: bytes) -> str:
    return content[:60].decode("utf-8", errors="replace")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as UTF-8 CSV bytes, as sources assembled from API pages are cached."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")
