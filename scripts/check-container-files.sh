#!/usr/bin/env bash
# Lints the container files: Dockerfile, .dockerignore and docker-compose.yml. Needs no Docker
# daemon. Exits non-zero on any finding; prints one line per finding and a closing summary.
#
#   bash scripts/check-container-files.sh
#
# Tools, from Debian bookworm and the project's own node/npm:
#   apt-get install -y --no-install-recommends docker-compose yamllint shellcheck python3-yaml
#   - hadolint, when on PATH. Debian has no package for it and no npm package ships its binary,
#     so without it the Dockerfile gets the hadolint rules below (same codes, same
#     `# hadolint ignore=DLxxxx` pragmas) plus dockerfile-utils' parser checks (from npm).
#     REQUIRE_HADOLINT=1 makes a missing hadolint a finding.
#   - The project's own rules for the image and the compose file (codes CWI* and CWC*).
#   - `docker compose config` or `docker-compose config`: the compose file's schema and
#     interpolation, as the engine would read it.
#   - yamllint for the compose file, shellcheck for this script.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

DOCKERFILE_UTILS_VERSION=0.16.3
findings=0
ran=()
skipped=()

step() { echo "== $*"; }
fail() {
  findings=$((findings + 1))
  echo "FINDING: $*"
}

# A python3 that has PyYAML: Debian's (python3-yaml) first, then whatever is on PATH.
python=""
for candidate in /usr/bin/python3 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import yaml' >/dev/null 2>&1; then
    python="$candidate"
    break
  fi
done

# ---------------------------------------------------------------------------------------------
step "Dockerfile: hadolint"
if command -v hadolint >/dev/null 2>&1; then
  if hadolint --failure-threshold style Dockerfile; then ran+=("hadolint"); else fail "hadolint (above)"; fi
else
  skipped+=("hadolint (not installed; its rules are checked below)")
  echo "hadolint is not installed: checking its rules with this script's own implementation"
  if [ "${REQUIRE_HADOLINT:-0}" = "1" ]; then fail "hadolint is required (REQUIRE_HADOLINT=1) but not on PATH"; fi
fi

# ---------------------------------------------------------------------------------------------
step "Dockerfile: dockerfile-utils ${DOCKERFILE_UTILS_VERSION} (parser and instruction checks)"
if command -v npm >/dev/null 2>&1; then
  if out="$(npm exec --yes --package="dockerfile-utils@${DOCKERFILE_UTILS_VERSION}" -- dockerfile-utils lint --json Dockerfile 2>&1)"; then
    if [ "$out" = "[]" ]; then
      ran+=("dockerfile-utils")
      echo "no diagnostics"
    else
      fail "dockerfile-utils: $out"
    fi
  else
    fail "dockerfile-utils did not run or reported errors: $out"
  fi
else
  fail "npm is not on PATH (needed for dockerfile-utils)"
fi

# ---------------------------------------------------------------------------------------------
step "Dockerfile, .dockerignore, docker-compose.yml: rules (hadolint subset DL*, project CWI*/CWC*)"
if [ -z "$python" ]; then
  fail "no python3 with PyYAML (apt-get install -y python3-yaml)"
else
  if "$python" - <<'PY'; then ran+=("rules"); else fail "rules (above)"; fi
import re
import shlex
import sys

import yaml

findings = []


def finding(where, code, message):
    findings.append(f"{where}: {code} {message}")


# ----- Dockerfile -----------------------------------------------------------------------------

def parse_dockerfile(path):
    """Instructions as (line, KEYWORD, args, ignored codes), continuations joined."""
    instructions = []
    pending_ignores = set()
    current, start = None, 0
    for number, raw in enumerate(open(path, encoding="utf-8"), start=1):
        line = raw.rstrip("\n")
        stripped = line.strip()
        if current is None:
            if not stripped:
                continue
            if stripped.startswith("#"):
                pragma = re.match(r"#\s*hadolint\s+ignore=([A-Z0-9, ]+)", stripped)
                if pragma:
                    pending_ignores |= {code.strip() for code in pragma.group(1).split(",") if code.strip()}
                continue
            current, start = "", number
        elif stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        keyword, _, args = current.strip().partition(" ")
        instructions.append((start, keyword.upper(), args.strip(), pending_ignores))
        current, pending_ignores = None, set()
    return instructions


def json_form(args):
    try:
        value = yaml.safe_load(args)
    except yaml.YAMLError:
        return None
    return value if isinstance(value, list) and all(isinstance(item, str) for item in value) else None


def check_dockerfile(path):
    instructions = parse_dockerfile(path)
    global_args = {}
    stages = []  # dicts: name, image, instructions
    for line, keyword, args, ignores in instructions:
        if keyword == "ARG" and not stages:
            name, _, default = args.partition("=")
            global_args[name.strip()] = default.strip().strip('"')
        if keyword == "FROM":
            parts = args.split()
            parts = [p for p in parts if not p.startswith("--")]
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: global_args.get(m.group(1), m.group(0)), parts[0])
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append({"line": line, "image": image, "name": name, "instructions": []})
        elif stages:
            stages[-1]["instructions"].append((line, keyword, args, ignores))

    def report(line, ignores, code, message):
        if code not in ignores:
            finding(f"{path}:{line}", code, message)

    if not stages:
        finding(path, "CWI001", "no FROM instruction")
        return
    names = {stage["name"] for stage in stages if stage["name"]}

    # hadolint's rules that apply to what this Dockerfile does (codes and meaning as hadolint's).
    for line, keyword, args, ignores in instructions:
        if keyword == "FROM":
            image = next(s["image"] for s in stages if s["line"] == line)
            if image not in names and image != "scratch":
                reference = image.split("@")[0]
                tag = reference.rsplit(":", 1)[1] if ":" in reference.rsplit("/", 1)[-1] else None
                if tag is None and "@" not in image:
                    report(line, ignores, "DL3006", f"always tag the image explicitly: {image}")
                if tag == "latest":
                    report(line, ignores, "DL3007", f"using latest is prone to errors: {image}")
        if keyword == "MAINTAINER":
            report(line, ignores, "DL4000", "MAINTAINER is deprecated")
        if keyword == "WORKDIR" and not (args.startswith("/") or args.startswith("$")):
            report(line, ignores, "DL3000", f"use absolute WORKDIR: {args}")
        if keyword == "ADD" and not re.search(r"https?://|\.tar(\.\w+)?\b|\.tgz\b", args):
            report(line, ignores, "DL3020", "use COPY instead of ADD for files and folders")
        if keyword in ("CMD", "ENTRYPOINT") and json_form(args) is None:
            report(line, ignores, "DL3025", f"use arguments JSON notation for {keyword}")
        if keyword == "RUN":
            commands = re.split(r"&&|\|\||;", args)
            for command in commands:
                words = command.split()
                if not words:
                    continue
                if words[0] == "cd":
                    report(line, ignores, "DL3003", "use WORKDIR to switch to a directory")
                if words[0] == "sudo":
                    report(line, ignores, "DL3004", "do not use sudo")
                if words[0] == "apt":
                    report(line, ignores, "DL3027", "do not use apt, use apt-get or apt-cache")
                if words[:2] == ["apt-get", "install"]:
                    options = [w for w in words[2:] if w.startswith("-")]
                    packages = [w for w in words[2:] if not w.startswith("-")]
                    if not any(o in ("-y", "--yes", "-qy", "-yq", "--assume-yes") for o in options):
                        report(line, ignores, "DL3014", "use the -y switch to avoid manual input")
                    if "--no-install-recommends" not in options:
                        report(line, ignores, "DL3015", "avoid additional packages by specifying --no-install-recommends")
                    unpinned = [p for p in packages if "=" not in p]
                    if unpinned:
                        report(line, ignores, "DL3008", f"pin versions in apt-get install: {' '.join(unpinned)}")
                if words[:2] == ["npm", "install"] or words[:2] == ["npm", "i"]:
                    loose = [w for w in words[2:] if not w.startswith("-") and "@" not in w.lstrip("@")]
                    if loose:
                        report(line, ignores, "DL3016", f"pin versions in npm: {' '.join(loose)}")
            if re.search(r"\bapt-get\s+(update|install)\b", args) and "rm -rf /var/lib/apt/lists" not in args:
                report(line, ignores, "DL3009", "delete the apt-get lists after installing something")
            if re.search(r"(?<!\|)\|(?!\|)", args) and "pipefail" not in args:
                shells = [a for (_, k, a, _) in instructions if k == "SHELL"]
                if not any("pipefail" in s for s in shells):
                    report(line, ignores, "DL4006", "set the SHELL option -o pipefail before RUN with a pipe in it")

    for stage in stages:
        previous = None
        workdir = False
        counts = {"CMD": 0, "ENTRYPOINT": 0}
        for line, keyword, args, ignores in stage["instructions"]:
            if keyword == "RUN" and previous == "RUN":
                report(line, ignores, "DL3059", "multiple consecutive RUN instructions; consider consolidation")
            previous = keyword
            if keyword == "WORKDIR":
                workdir = True
            if keyword == "COPY":
                destination = (json_form(args) or shlex.split(args))[-1]
                if not workdir and not destination.startswith("/") and not destination.startswith("$"):
                    report(line, ignores, "DL3045", "COPY to a relative destination without WORKDIR set")
                source = re.search(r"--from=(\S+)", args)
                if source and not source.group(1).isdigit() and source.group(1) not in names and ":" not in source.group(1):
                    report(line, ignores, "DL3022", f"COPY --from should reference a previously defined FROM alias: {source.group(1)}")
            if keyword in counts:
                counts[keyword] += 1
                if counts[keyword] > 1:
                    report(line, ignores, "DL4003" if keyword == "CMD" else "DL4004", f"multiple {keyword} instructions in one stage")

    # The project's rules for its image.
    node_image = re.compile(r"^node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$")
    for stage in stages:
        if stage["image"] not in names and not node_image.match(stage["image"]):
            finding(f"{path}:{stage['line']}", "CWI002", f"base image must be a pinned Node 20 Debian slim, node:20.X.Y-bookworm-slim: {stage['image']}")
    if len(stages) < 2:
        finding(path, "CWI003", "multi-stage build expected: a build stage and a runtime stage")
    final = stages[-1]
    body = final["instructions"]
    where = f"{path}:{final['line']}"
    keywords = [k for (_, k, _, _) in body]

    def last(keyword):
        found = [(line, args) for (line, k, args, _) in body if k == keyword]
        return found[-1] if found else (None, None)

    all_run = " ".join(a for (_, k, a, _) in instructions if k == "RUN")
    if not re.search(r"\bnpm ci\b", all_run):
        finding(path, "CWI004", "dependencies must be installed from the lockfile with npm ci")
    if not re.search(r"npm (prune|ci)\b[^&;]*--omit=dev", all_run):
        finding(path, "CWI005", "the runtime must carry production dependencies only (npm prune --omit=dev or npm ci --omit=dev)")
    final_run = " ".join(a for (_, k, a, _) in body if k == "RUN")
    tools = [t for t in ("g++", "gcc", "make", "python3", "build-essential") if re.search(rf"(?<![\w.+-]){re.escape(t)}(?![\w.+-])", final_run)]
    if tools:
        finding(where, "CWI006", f"build tools in the final stage: {', '.join(tools)}")
    line, user = last("USER")
    if user is None or user.split(":")[0] in ("root", "0"):
        finding(where, "CWI007", "the final stage must run as a non-root user (USER node or a uid)")
    line, entrypoint = last("ENTRYPOINT")
    if json_form(entrypoint or "") != ["/usr/bin/tini", "--"]:
        finding(where, "CWI008", 'ENTRYPOINT must be ["/usr/bin/tini", "--"] so signals reach node and zombies are reaped')
    if "tini" not in final_run:
        finding(where, "CWI008", "tini must be installed in the final stage")
    line, cmd = last("CMD")
    cmd_words = json_form(cmd or "") or []
    if not cmd_words or cmd_words[0] != "node":
        finding(where, "CWI009", "CMD must run node directly in JSON form (not npm, not a shell)")
    env_text = " ".join(a for (_, k, a, _) in body if k == "ENV")
    if not re.search(r"\bNODE_ENV=production\b", env_text):
        finding(where, "CWI010", "ENV NODE_ENV=production expected in the final stage")
    data_dir = re.search(r"\bDATA_DIR=(\S+)", env_text)
    volumes = " ".join(a for (_, k, a, _) in body if k == "VOLUME")
    if not data_dir:
        finding(where, "CWI011", "ENV DATA_DIR expected in the final stage")
    elif data_dir.group(1) not in volumes:
        finding(where, "CWI011", f"DATA_DIR {data_dir.group(1)} should be a VOLUME")
    elif not re.search(rf"chown\s+\S+\s+{re.escape(data_dir.group(1))}\b", final_run):
        finding(where, "CWI011", f"DATA_DIR {data_dir.group(1)} must be owned by the runtime user (chown in the final stage)")
    if "EXPOSE" not in keywords:
        finding(where, "CWI012", "EXPOSE the service's port")
    if re.search(r"\bHOST=(?!0\.0\.0\.0\b)\S+", env_text):
        finding(where, "CWI012", "HOST must be 0.0.0.0 in the container")
    line, healthcheck = last("HEALTHCHECK")
    if healthcheck is None or "/health/live" not in healthcheck or "curl" in healthcheck or "wget" in healthcheck:
        finding(where, "CWI013", "HEALTHCHECK must ask /health/live with node (no curl or wget in the slim image)")


def check_dockerignore(path):
    try:
        entries = {line.strip() for line in open(path, encoding="utf-8") if line.strip() and not line.startswith("#")}
    except FileNotFoundError:
        finding(path, "CWI020", "missing")
        return
    for required in ("node_modules", "dist", ".git", "coverage", "data", "*.sqlite", "test"):
        if required not in entries and f"**/{required}" not in entries:
            finding(path, "CWI020", f"should exclude {required}")


# ----- docker-compose.yml ---------------------------------------------------------------------

def volume_parts(volume):
    """(type, source, target) of a short or long volume entry."""
    if isinstance(volume, dict):
        return volume.get("type", "volume"), str(volume.get("source") or ""), str(volume.get("target") or "")
    parts = str(volume).split(":")
    if len(parts) == 1:
        return "volume", "", parts[0]
    kind = "bind" if parts[0].startswith((".", "/", "~", "$")) else "volume"
    return kind, parts[0], parts[1]


def published_port(port):
    """(host address, published port or range) of a short or long port entry; '' when not fixed."""
    if isinstance(port, dict):
        return str(port.get("host_ip") or ""), str(port.get("published") or "")
    parts = str(port).split(":")
    if len(parts) == 1:
        return "", ""
    if len(parts) == 2:
        return "", parts[0]
    return parts[0], parts[1]


def environment_of(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): ("" if v is None else str(v)) for k, v in env.items()}


def check_compose(path):
    with open(path, encoding="utf-8") as handle:
        compose = yaml.safe_load(handle)
    services = compose.get("services") or {}
    declared_volumes = set((compose.get("volumes") or {}).keys())
    if not services:
        finding(path, "CWC001", "no services")
        return
    host_ports = {}
    app_instances = []  # (service, replicas, env)
    for name, service in services.items():
        where = f"{path}: services.{name}"
        service = service or {}
        image = service.get("image")
        if not image and not service.get("build"):
            finding(where, "CWC002", "neither image nor build")
        if image and not service.get("build"):
            reference = image.split("@")[0]
            last_part = reference.rsplit("/", 1)[-1]
            tag = last_part.split(":", 1)[1] if ":" in last_part else None
            if "@sha256:" not in image and (tag is None or tag == "latest"):
                finding(where, "CWC003", f"pin the image's tag: {image}")
        healthcheck = service.get("healthcheck") or {}
        if not healthcheck.get("test") or healthcheck.get("disable"):
            finding(where, "CWC004", "health check missing")
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            finding(where, "CWC005", "depends_on must use the long form with condition: service_healthy")
        else:
            for target, condition in depends.items():
                if (condition or {}).get("condition") != "service_healthy":
                    finding(where, "CWC005", f"depends_on {target} without condition: service_healthy")
                if target not in services:
                    finding(where, "CWC005", f"depends_on unknown service {target}")
        for kind, source, _ in map(volume_parts, service.get("volumes") or []):
            if kind == "tmpfs":
                continue
            if kind == "bind":
                finding(where, "CWC006", f"use named volumes, not host paths: {source}")
            elif not source:
                finding(where, "CWC006", "use named volumes, not anonymous ones")
            elif source not in declared_volumes:
                finding(where, "CWC006", f"volume {source} is not declared under volumes:")
        replicas = int(((service.get("deploy") or {}).get("replicas")) or 1)
        for port in service.get("ports") or []:
            host, published = published_port(port)
            if published:
                key = (host, published)
                if replicas > 1 and "-" not in published:
                    finding(where, "CWC007", f"{replicas} replicas cannot share the fixed host port {published}")
                if key in host_ports:
                    finding(where, "CWC007", f"host port {published} is also published by {host_ports[key]}")
                host_ports[key] = name
        env = environment_of(service)
        if service.get("build") or "EVENT_STORE" in env:
            app_instances.append((name, replicas, env, service))
        if image and re.match(r"^(docker\.io/)?eventstore/eventstore(:|$)", image):
            finding(where, "CWC008", "EventStoreDB images come from the vendor's registry (docker.eventstore.com/eventstore/...), not Docker Hub's eventstore/eventstore")

    # The service's instances: configuration names and values as apps/api/src/config reads them.
    if sum(replicas for (_, replicas, _, _) in app_instances) < 2:
        finding(path, "CWC010", "the production shape runs several instances of the service")
    projecting = [(name, replicas) for (name, replicas, env, _) in app_instances if env.get("PROJECTOR", "on") == "on"]
    if sum(replicas for (_, replicas) in projecting) != 1:
        finding(path, "CWC011", f"exactly one instance keeps the views (PROJECTOR=on, the default); found {projecting or 'none'}")
    data_volumes = set()
    for name, replicas, env, service in app_instances:
        where = f"{path}: services.{name}"
        if env.get("EVENT_STORE") != "eventstoredb":
            finding(where, "CWC012", "EVENT_STORE must be eventstoredb")
        if not re.match(r"^esdb(\+discover)?://[^/?#\s]+", env.get("ESDB_CONNECTION_STRING", "")):
            finding(where, "CWC012", "ESDB_CONNECTION_STRING must be an esdb:// or esdb+discover:// connection string")
        if not re.match(r"^postgres(ql)?://", env.get("READ_MODELS_URL", "")):
            finding(where, "CWC012", "READ_MODELS_URL must be a postgres:// URL")
        for switch in ("PROJECTOR", "TIMERS", "ROUTING"):
            if env.get(switch, "on") not in ("on", "off"):
                finding(where, "CWC013", f"{switch} must be on or off, not {env[switch]}")
        if env.get("HOST", "0.0.0.0") != "0.0.0.0":
            finding(where, "CWC013", "HOST must be 0.0.0.0 in a container")
        test = " ".join(map(str, (service.get("healthcheck") or {}).get("test") or []))
        if "/health/ready" not in test:
            finding(where, "CWC014", "the service's health check asks GET /health/ready")
        data_dir = env.get("DATA_DIR", "/data")
        mounted = [source for (kind, source, target) in map(volume_parts, service.get("volumes") or []) if target == data_dir and kind == "volume" and source]
        if not mounted:
            finding(where, "CWC015", f"DATA_DIR {data_dir} must be a named volume")
        else:
            data_volumes.add(mounted[0])
        if not env.get("AUTH_JWKS_URL") and len(data_volumes) > 1:
            finding(where, "CWC015", "without AUTH_JWKS_URL every instance must share one DATA_DIR volume (the embedded signing key)")


check_dockerfile("Dockerfile")
check_dockerignore(".dockerignore")
check_compose("docker-compose.yml")
for line in findings:
    print(f"FINDING: {line}")
print(f"{len(findings)} rule findings")
sys.exit(1 if findings else 0)
PY
fi

# ---------------------------------------------------------------------------------------------
step "docker-compose.yml: compose config (schema, interpolation, merges)"
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  if docker compose -f docker-compose.yml config --quiet; then ran+=("docker compose config"); else fail "docker compose config (above)"; fi
elif command -v docker-compose >/dev/null 2>&1; then
  if docker-compose -f docker-compose.yml config --quiet; then ran+=("docker-compose config"); else fail "docker-compose config (above)"; fi
else
  fail "neither docker compose nor docker-compose is installed (apt-get install -y docker-compose)"
fi

step "docker-compose.yml: yamllint"
if command -v yamllint >/dev/null 2>&1; then
  if yamllint --strict -d '{extends: default, rules: {document-start: disable, line-length: {max: 160}}}' docker-compose.yml; then
    ran+=("yamllint")
  else
    fail "yamllint (above)"
  fi
else
  fail "yamllint is not installed (apt-get install -y yamllint)"
fi

step "scripts/check-container-files.sh: shellcheck"
if command -v shellcheck >/dev/null 2>&1; then
  if shellcheck scripts/check-container-files.sh; then ran+=("shellcheck"); else fail "shellcheck (above)"; fi
else
  fail "shellcheck is not installed (apt-get install -y shellcheck)"
fi

# ---------------------------------------------------------------------------------------------
echo
echo "ran: ${ran[*]:-nothing}"
if [ "${#skipped[@]}" -gt 0 ]; then echo "skipped: ${skipped[*]}"; fi
if [ "$findings" -gt 0 ]; then
  echo "container files: $findings check(s) with findings"
  exit 1
fi
echo "container files: clean"
