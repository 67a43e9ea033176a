"""Demo organisation for `manage.py seed_demo`: safe to run twice (get-or-create by natural keys)."""

from django.contrib.auth import get_user_model

from crm.models import Role, Team, Territory

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo, never used in production

USERS = [
    # username, first, last, role, team
    ("admin", "Ada", "Admin", Role.ADMIN, None),
    ("wang.manager", "王", "经理", Role.MANAGER, None),
    ("zhao.manager", "赵", "经理", Role.MANAGER, None),
    ("li.rep", "李", "娜", Role.REP, "华东销售一组"),
    ("chen.rep", "陈", "伟", Role.REP, "华东销售一组"),
    ("liu.rep", "刘", "洋", Role.REP, "华南销售组"),
]
TEAMS = [("华东销售一组", "wang.manager"), ("华南销售组", "zhao.manager")]
TERRITORIES = [
    ("SH", "上海", "华东销售一组"),
    ("HZ", "杭州", "华东销售一组"),
    ("GZ", "广州", "华南销售组"),
    ("SZ", "深圳", "华南销售组"),
]


def seed(stdout) -> None:
    User = get_user_model()
    users = {}
    for username, first, last, role, _team in USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "role": role,
                "email": f"{username}@example.com",
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[username] = user
    teams = {}
    for name, manager in TEAMS:
        teams[name], _created = Team.objects.get_or_create(name=name, defaults={"manager": users[manager]})
    for username, _first, _last, _role, team in USERS:
        if team and users[username].team_id is None:
            users[username].team = teams[team]
            users[username].save(update_fields=["team"])
    for code, name, team in TERRITORIES:
        Territory.objects.get_or_create(code=code, defaults={"name": name, "team": teams[team]})
    stdout.write(f"Demo users (password for all: {DEMO_PASSWORD}):")
    for username, _first, _last, role, team in USERS:
        stdout.write(f"  {username:<14} {role:<8} {team or ''}")
