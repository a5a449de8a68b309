"""Kling's video effect scenes, as dated data: which scenes exist and how many images each takes.

Taken from Kling's effects page (`/v1/videos/effects`, "Total of 219 video effects") as
copied on `TAKEN` (2026-09-20): 204 single-image scenes (`input.image`) and 15 dual-image
scenes (`input.images`, exactly two: the first is placed on the left, the second on the
right). The page documents no other input field: a scene sets its own length, so no
scene takes a `duration` (`EffectScene.durations` is empty), nor a model or a mode.

Scenes Kling withdrew are kept with their date and their replacement
(`WITHDRAWN`): `hug`, `kiss`, `fight`, `thumbs_up`, `tiger_hug`, `pet_lion` and
`3d_cartoon_1` were discontinued on 2026-01-30 (changelog, 2025-12-18), in favour of
their `*_pro` (or `3d_cartoon_2`) successors; `heart_gesture` is no longer on the page,
`heart_gesture_pro` is. A new scene is one name in a tuple below; Kling adds scenes
often, so a name not known here is refused unless `strict=False` (`--allow-unknown-model`).

Examples:
    >>> len(SCENES), SCENES["hug_pro"].images, SCENES["color_mixing"].images
    (219, 2, 1)
    >>> WITHDRAWN["hug"].replacement, WITHDRAWN["hug"].on.isoformat()
    ('hug_pro', '2026-01-30')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

TAKEN = date(2026, 9, 20)
"""When the catalogue was copied from Kling's effects page."""


@dataclass(frozen=True)
class EffectScene:
    """One effect scene of Kling's catalogue.

    Attributes:
        name: The `effect_scene` value, e.g. `hug_pro`.
        images: How many images it takes: 1 (`input.image`) or 2 (`input.images`).
        durations: The lengths a request may ask for; empty: the scene sets its own
            (the page of `TAKEN` documents no `duration`).
    """

    name: str
    images: int
    durations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Withdrawn:
    """A scene Kling withdrew.

    Attributes:
        on: When it stopped being served.
        replacement: The scene that took its place, if any.
    """

    on: date
    replacement: str | None = None


SINGLE_IMAGE = (
    "net_the_fish",
    "birthday_board",
    "summer_fireworks",
    "blow_blaze",
    "champagne_birthday",
    "pet_working_daily",
    "pet_roll_window",
    "pet_crash_earth",
    "makeup_style",
    "hair_dressup",
    "barbie_transform",
    "critter_paste",
    "wiggle_faces_pets",
    "paw_headbang",
    "food_splash",
    "dj_pet",
    "pet_diving",
    "disco_paws",
    "pet_fitness",
    "j_var_live",
    "pet_burst",
    "idol_live",
    "beast_striker",
    "african_sway",
    "jealousy_sway",
    "chubby_fish",
    "shrug_dance",
    "soccer_star",
    "bra_hot_dance",
    "arg_hot_dance",
    "fra_hot_dance",
    "bra_goal",
    "arg_goal",
    "por_goal",
    "victory_slide",
    "samba_fever",
    "bicycle_kick",
    "football_dance_2",
    "red_card_sent_off",
    "football_dance",
    "magic_world_vlog",
    "magic_world_vlog_9_16",
    "air_dunk",
    "whirling_beverage_9_16",
    "tennis_trend",
    "tennis_trend_9_16",
    "football_live_9_16",
    "whirling_beverage",
    "f1_live",
    "football_live",
    "spielberg_transition",
    "korean_baseball_9_16",
    "korean_baseball",
    "tiny_beast_printer",
    "landmark_reveal",
    "winter_charm",
    "flash_ride",
    "maestro_of_magic",
    "magic_carpet_ride",
    "good_luck_spirit",
    "shooting_star",
    "sparkler_wand",
    "sovereign_scepter",
    "dirt_rush",
    "return_of_the_king",
    "dance_with_dragon",
    "minimalist_light",
    "martial_meow",
    "sassy_shake",
    "knock_at_a_door_revenge",
    "palm_sized_figure_pro",
    "prank_box",
    "perler_beads",
    "spring_bloom",
    "get_rich_quick",
    "make_it_rain",
    "twist_shake",
    "the_hip_sway",
    "send_my_love",
    "funky_martian",
    "wealth_drive",
    "the_high_kick",
    "the_exercise",
    "lucky_veggie",
    "flash_drive",
    "shush_my_dreams",
    "advent_of_flora",
    "raid_check",
    "fortune_in_motion",
    "chinese_trend",
    "sedan_chair_dance",
    "skyfall",
    "good_luck_dance",
    "laicai_dance",
    "yangge_dance",
    "color_mixing",
    "lantern_festival_cuju",
    "unique_firework",
    "unique_spring_couplets",
    "horse_mask",
    "fortune_knocks_cartoon",
    "tangyuan_to_animal",
    "hot_feet_dance",
    "swag_dance",
    "pigeon_dance",
    "bloodline_dance",
    "chanel_dance",
    "cute_dance",
    "love_theme_song",
    "pumpitup_dance",
    "city_to_village",
    "fortune_god_transform",
    "new_year_feast",
    "ring_in_new",
    "horse_year_firework",
    "crystal_horse",
    "drunk_dance",
    "drunk_dance_pet",
    "daoma_dance",
    "bouncy_dance",
    "smooth_sailing_dance",
    "new_year_greeting",
    "lion_dance",
    "prosperity",
    "great_success",
    "golden_horse_fortune",
    "red_packet_box",
    "lucky_horse_year",
    "lucky_red_packet",
    "lucky_money_come",
    "lion_dance_pet",
    "dumpling_making_pet",
    "fish_making_pet",
    "pet_red_packet",
    "lantern_glow",
    "expression_challenge",
    "overdrive",
    "heart_gesture_dance",
    "poping",
    "martial_arts",
    "running",
    "nezha",
    "motorcycle_dance",
    "subject_3_dance",
    "ghost_step_dance",
    "phantom_jewel",
    "zoom_out",
    "dollar_rain_pro",
    "pet_bee_pro",
    "countdown_teleport",
    "santa_random_surprise",
    "magic_match_tree",
    "bullet_time_360",
    "happy_birthday",
    "birthday_star",
    "thumbs_up_pro",
    "tiger_hug_pro",
    "pet_lion_pro",
    "surprise_bouquet",
    "bouquet_drop",
    "glamour_photo_shoot",
    "box_of_joy",
    "first_toast_of_the_year",
    "my_santa_pic",
    "santa_gift",
    "steampunk_christmas",
    "snowglobe",
    "christmas_photo_shoot",
    "ornament_crash",
    "santa_express",
    "instant_christmas",
    "coronation_of_frost",
    "building_sweater",
    "spark_in_the_snow",
    "scarlet_and_snow",
    "bullet_time_lite",
    "jumping_ginger_joy",
    "pure_white_wings",
    "black_wings",
    "golden_wing",
    "pink_pink_wings",
    "venomous_spider",
    "throne_of_king",
    "luminous_elf",
    "woodland_elf",
    "guardian_spirit",
    "swish_swish",
    "snowboarding",
    "witch_transform",
    "vampire_transform",
    "pumpkin_head_transform",
    "demon_transform",
    "mummy_transform",
    "zombie_transform",
    "cute_pumpkin_transform",
    "halloween_escape",
    "pet_moto_rider",
    "running_man",
    "3d_cartoon_2",
    "pet_dance",
    "swing_swing",
    "day_to_night",
    "surfsurf",
    "skateskate",
)
"""The single-image scenes (`input.image`), in the page's order."""
DUAL_IMAGE = (
    "pet_skateboard",
    "daily_ootd",
    "toss_run",
    "switch_to_silk",
    "studio_look",
    "french_elegance",
    "finger_swipe",
    "smooth_transition",
    "kiss_pro",
    "snow_night_kiss",
    "eternal_kiss",
    "cheers_2026",
    "fight_pro",
    "hug_pro",
    "heart_gesture_pro",
)
"""The dual-image scenes (`input.images`, two), in the page's order."""

SCENES: dict[str, EffectScene] = {
    **{name: EffectScene(name, images=1) for name in SINGLE_IMAGE},
    **{name: EffectScene(name, images=2) for name in DUAL_IMAGE},
}
"""Every scene of the catalogue, by name."""

_JANUARY_30 = date(2026, 1, 30)
WITHDRAWN: dict[str, Withdrawn] = {
    "hug": Withdrawn(_JANUARY_30, "hug_pro"),
    "kiss": Withdrawn(_JANUARY_30, "kiss_pro"),
    "fight": Withdrawn(_JANUARY_30, "fight_pro"),
    "thumbs_up": Withdrawn(_JANUARY_30, "thumbs_up_pro"),
    "tiger_hug": Withdrawn(_JANUARY_30, "tiger_hug_pro"),
    "pet_lion": Withdrawn(_JANUARY_30, "pet_lion_pro"),
    "3d_cartoon_1": Withdrawn(_JANUARY_30, "3d_cartoon_2"),
    # Not in the 2026-01-30 notice, but gone from the page, and its successor is there.
    "heart_gesture": Withdrawn(_JANUARY_30, "heart_gesture_pro"),
    "celebration": Withdrawn(date(2025, 12, 30)),
    "c4d_cartoon": Withdrawn(date(2025, 12, 30)),
}
"""Scenes Kling withdrew: refused naming the replacement."""


def withdrawn_message(scene: str) -> str | None:
    """Why a withdrawn scene is refused, naming its replacement; None for other scenes.

    Examples:
        >>> withdrawn_message("kiss")
        "'kiss' was withdrawn by Kling on 2026-01-30; allowed: its replacement 'kiss_pro'"
        >>> withdrawn_message("kiss_pro") is None
        True
    """
    gone = WITHDRAWN.get(scene)
    if gone is None:
        return None
    instead = (
        f"its replacement {gone.replacement!r}"
        if gone.replacement
        else "another scene of the effects catalogue"
    )
    return f"{scene!r} was withdrawn by Kling on {gone.on.isoformat()}; allowed: {instead}"
