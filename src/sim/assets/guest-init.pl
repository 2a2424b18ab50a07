#!/usr/bin/perl
# tart-sim guest boot + init, ONE process (no fork/exec per mount): every mount, pivot_root,
# sethostname and the idmapped share mounts are raw syscalls. Started by `tart-sim run` as
#   setpriv --pdeathsig KILL -- unshare --mount --pid --fork --mount-proc --kill-child=SIGKILL \
#     --propagation private -- perl guest-init.pl
# so this script is PID 1 of a fresh PID namespace, in a private mount namespace, still host root.
# Parameters arrive in SIM_* environment variables (see src/sim/guest/launch.ts).
#
# Layout after boot:
#   PID 1 (this script, host-root caps): reaps orphans; SIGTERM = power off (exit 0), SIGHUP = reboot (exit 3).
#   PID 2 "guest anchor": in a user namespace (uid map 0..2^32-2 identity) that owns the guest's mount
#     and UTS namespaces. Every mount made before it was created is therefore LOCKED (MNT_LOCK_*):
#     guest root cannot remount a read-only share rw, nor unmount the shares to expose what is below.
#     Guest root has full capabilities over its own namespaces only (hostname, binds, mount.virtiofs),
#     none over the host (no module loading, no sysrq, no device nodes).
use strict;
use warnings;
use POSIX ();
use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_REUSEADDR sockaddr_in inet_aton);

my %SYS = (
  x86_64  => { mount => 165, umount2 => 166, pivot_root => 155, sethostname => 170, unshare => 272, setxattr => 188 },
  aarch64 => { mount => 40,  umount2 => 39,  pivot_root => 41,  sethostname => 161, unshare => 97, setxattr => 5 },
);
my $arch = (POSIX::uname())[4];
my $S = $SYS{$arch} or die "tart-sim guest: unsupported architecture $arch\n";
my ($SYS_open_tree, $SYS_move_mount, $SYS_mount_setattr) = (428, 429, 442);

use constant {
  MS_RDONLY => 1, MS_NOSUID => 2, MS_NODEV => 4, MS_NOEXEC => 8, MS_REMOUNT => 32,
  MS_BIND => 4096, MS_REC => 16384,
  MNT_DETACH => 2, CLONE_NEWNS => 0x00020000, CLONE_NEWUTS => 0x04000000, CLONE_NEWUSER => 0x10000000,
  OPEN_TREE_CLONE => 1, OPEN_TREE_CLOEXEC => 0x80000, AT_RECURSIVE => 0x8000, AT_EMPTY_PATH => 0x1000,
  MOVE_MOUNT_F_EMPTY_PATH => 4, MOUNT_ATTR_RDONLY => 1, MOUNT_ATTR_IDMAP => 0x00100000,
};

my $t0 = time;
my $name   = $ENV{SIM_NAME};
my $ip     = $ENV{SIM_IP};
my $upper  = $ENV{SIM_UPPER};
my $work   = $ENV{SIM_WORK};
my $M      = $ENV{SIM_MERGED};
my $os     = $ENV{SIM_OS} // 'linux';
my $hostUid = $ENV{SIM_HOST_UID} // 0;
my $hostGid = $ENV{SIM_HOST_GID} // 0;
my $assets = $ENV{SIM_ASSETS};
my $bootDelay = $ENV{SIM_BOOT_DELAY_MS} // 0;
my $noSshd = $ENV{SIM_NO_SSHD} // '';
# Shares: SIM_SHARES = records "tag\x1fname\x1fpath\x1fro" joined by \x1e (name empty = unnamed).
my @shares = map { [split /\x1f/, $_, -1] } grep { length } split /\x1e/, ($ENV{SIM_SHARES} // '');
delete @ENV{grep { /^SIM_/ } keys %ENV};

sub fail { print STDERR "tart-sim guest: $_[0]\n"; exit 70 }
sub mnt {
  my ($src, $tgt, $type, $flags, $data) = @_;
  my $r = syscall($S->{mount}, $src, $tgt, defined $type ? $type : 0, $flags, defined $data ? $data : 0);
  fail("mount $tgt: $!") if $r == -1;
}
sub mkd { for (@_) { mkdir $_ or $!{EEXIST} or fail("mkdir $_: $!") } }
sub mkp { my $p = ''; for (split m{/}, $_[0]) { $p .= "$_/"; mkdir $p unless -d $p } -d $_[0] or fail("mkdir -p $_[0]: $!") }
sub wfile { my ($p, $c, $mode) = @_; unlink $p; open(my $f, '>', $p) or fail("write $p: $!"); print $f $c; close $f; chmod $mode, $p if defined $mode }
sub rfile { open(my $f, '<', $_[0]) or return ''; local $/; my $c = <$f>; close $f; $c }

# ---- 1. copy-on-write root ----------------------------------------------------------------------
# The lower layer is the host's root: hide the host's private trees from the guest. On a VM's first
# boot, /root, /home and every non-system top-level directory (e.g. /work) become opaque, empty
# directories in the upper layer (trusted.overlay.opaque=y), so the host's keys, tokens and projects
# never show through; system directories (/usr, /etc, /opt, ...) stay shared.
my %SYSTEM = map { $_ => 1 } qw(bin boot dev etc lib lib32 lib64 libx32 media mnt opt proc run sbin srv sys tmp usr var);
unless (-e "$upper.masked") {
  opendir(my $dh, '/') or fail("opendir /: $!");
  for my $e (readdir $dh) {
    next if $e eq '.' || $e eq '..' || $SYSTEM{$e} || -l "/$e" || !-d "/$e" || -e "$upper/$e";
    mkdir "$upper/$e" or fail("mkdir $upper/$e: $!");
    chmod((stat "/$e")[2] & 07777, "$upper/$e");
    syscall($S->{setxattr}, "$upper/$e", my $xn = 'trusted.overlay.opaque', my $xv = 'y', 1, 0) == -1 and fail("mask /$e: $!");
  }
  closedir $dh;
  open(my $mf, '>', "$upper.masked") or fail("write $upper.masked: $!"); close $mf;
}

# A VM that just stopped may still hold its overlay for a few ms while its namespace is torn down.
for my $try (1 .. 100) {
  last if syscall($S->{mount}, my $ov = 'overlay', $M, my $ovt = 'overlay', 0, my $ovo = "lowerdir=/,upperdir=$upper,workdir=$work") == 0;
  fail("mount overlay on $M: $!") unless $!{EBUSY} && $try < 100;
  select(undef, undef, undef, 0.03);
}
mnt('proc', "$M/proc", 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC);
mnt('sysfs', "$M/sys", 'sysfs', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
mnt('tmpfs', "$M/dev", 'tmpfs', MS_NOSUID, 'mode=755,size=65536k');
for my $d (qw(null zero full random urandom tty)) {
  open(my $f, '>', "$M/dev/$d") or fail("create /dev/$d: $!"); close $f;
  mnt("/dev/$d", "$M/dev/$d", undef, MS_BIND);
}
mkd("$M/dev/pts", "$M/dev/shm");
mnt('devpts', "$M/dev/pts", 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666,mode=620,gid=5');
symlink('pts/ptmx', "$M/dev/ptmx");
symlink('/proc/self/fd', "$M/dev/fd");
symlink("/proc/self/fd/$_->[1]", "$M/dev/$_->[0]") for ([stdin => 0], [stdout => 1], [stderr => 2]);
mnt('tmpfs', "$M/dev/shm", 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=1777');
mnt('tmpfs', "$M/run", 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=755,size=65536k');
mnt('tmpfs', "$M/tmp", 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=1777');   # hides the host's /tmp
mkd("$M/run/sshd", "$M/run/sim", "$M/run/sim/shares", "$M/run/lock");
chmod 0700, "$M/run/sim";

# ---- 2. virtiofs shares, staged at /run/sim/shares/<tag>, idmapped --------------------------------
# The idmapping shows files owned by the host user who ran `tart run` as admin (1000) in the guest,
# and makes admin's new files land on the host owned by that user (the two ids swap; others keep theirs).
my $usernsFd;
sub idmap_lines {
  my ($hu, $au) = ($hostUid + 0, 1000);
  return "0 0 4294967295\n" if $hu == $au;
  my @pts = sort { $a <=> $b } ($hu, $au);
  my @l = ("$hu $au 1", "$au $hu 1");
  my $start = 0;
  for my $p (@pts) { push @l, "$start $start " . ($p - $start) if $p > $start; $start = $p + 1 }
  push @l, "$start $start " . (4294967295 - $start);
  return join("\n", @l) . "\n";
}
sub idmap_userns {
  return $usernsFd if defined $usernsFd;
  pipe(my $r, my $w) or fail("pipe: $!");
  pipe(my $r2, my $w2) or fail("pipe: $!");
  my $pid = fork // fail("fork: $!");
  if ($pid == 0) {
    close $r; close $w2;
    syscall($S->{unshare}, CLONE_NEWUSER) == -1 and POSIX::_exit(1);
    syswrite $w, 'u'; sysread $r2, my $x, 1; POSIX::_exit(0);
  }
  close $w; close $r2;
  sysread($r, my $ok, 1) == 1 or fail('idmap helper failed to create a user namespace');
  my $map = idmap_lines();
  wfile_noscrub("/proc/$pid/uid_map", $map);
  wfile_noscrub("/proc/$pid/gid_map", $map);
  open($usernsFd, '<', "/proc/$pid/ns/user") or fail("open userns: $!");
  close $w2; waitpid $pid, 0;
  return $usernsFd;
}
sub wfile_noscrub { open(my $f, '>', $_[0]) or fail("open $_[0]: $!"); syswrite($f, $_[1]) or fail("write $_[0]: $!"); close $f }
sub share_mount {
  my ($src, $dst, $ro) = @_;
  my $fd = syscall($SYS_open_tree, -100, $src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  fail("open_tree $src: $!") if $fd < 0;
  my $ns = fileno(idmap_userns());
  my $attr = pack('QQQQ', MOUNT_ATTR_IDMAP | ($ro ? MOUNT_ATTR_RDONLY : 0), 0, 0, $ns);
  if (syscall($SYS_mount_setattr, $fd, my $e1 = '', AT_EMPTY_PATH, $attr, length $attr) == -1) {
    # Filesystems without idmapped-mount support: plain bind (ownership then shows through as on the host).
    my $e = "$!";
    $attr = pack('QQQQ', $ro ? MOUNT_ATTR_RDONLY : 0, 0, 0, 0);
    syscall($SYS_mount_setattr, $fd, my $e1 = '', AT_EMPTY_PATH, $attr, length $attr) == -1 and fail("mount_setattr $src: $e / $!");
  }
  syscall($SYS_move_mount, $fd, my $e2 = '', -100, $dst, MOVE_MOUNT_F_EMPTY_PATH) == -1 and fail("move_mount $dst: $!");
  POSIX::close($fd);
}
my %byTag;
push @{ $byTag{$_->[0]} }, $_ for @shares;
for my $tag (sort keys %byTag) {
  my $dst = "$M/run/sim/shares/$tag";
  mkd($dst);
  my @g = @{ $byTag{$tag} };
  if (@g == 1 && $g[0][1] eq '') { share_mount($g[0][2], $dst, $g[0][3]); next }
  mnt('tmpfs', $dst, 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=755,size=1m');
  for my $s (@g) { mkd("$dst/$s->[1]"); share_mount($s->[2], "$dst/$s->[1]", $s->[3]) }
  mnt('none', $dst, undef, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV);
}
if ($os eq 'darwin' && $byTag{'com.apple.virtio-fs.automount'}) {
  mkp("$M/Volumes/My Shared Files");
  mnt("$M/run/sim/shares/com.apple.virtio-fs.automount", "$M/Volumes/My Shared Files", undef, MS_BIND | MS_REC);
}
close $usernsFd if defined $usernsFd;

# ---- 3. guest helpers, rewritten at every boot (wrappers for the systemd-only power commands) ----
my $power = rfile("$assets/simpower");
for my $cmd (qw(poweroff halt reboot shutdown)) { wfile("$M/usr/sbin/$cmd", $power, 0755) }
wfile("$M/usr/sbin/mount.virtiofs", rfile("$assets/mount.virtiofs"), 0755);

# ---- 4. pivot_root: the host's root is gone from this namespace ----------------------------------
chdir $M or fail("chdir $M: $!");
mkd("$M/.oldroot");
syscall($S->{pivot_root}, my $dot = '.', my $old = '.oldroot') == -1 and fail("pivot_root: $!");
chdir '/';
syscall($S->{umount2}, my $oldp = '/.oldroot', MNT_DETACH) == -1 and fail("umount old root: $!");
rmdir '/.oldroot';

# ---- 5. the guest anchor: user + mount + UTS namespaces of its own -------------------------------
# Port 22 is privileged in the host's network namespace, which the guest (a child user namespace)
# shares: PID 1 binds <ip>:22 here with host capabilities; the anchor listens on it once the guest has
# "booted" (before that, connections are refused) and runs a real OpenSSH `sshd -i` per connection.
my $L;
unless ($noSshd) {
  socket($L, PF_INET, SOCK_STREAM, 0) or fail("socket: $!");
  setsockopt($L, SOL_SOCKET, SO_REUSEADDR, 1);
  bind($L, sockaddr_in(22, inet_aton($ip))) or fail("cannot use $ip:22 for the VM's sshd: $!"
    . ($!{EADDRINUSE} ? " (a VM with the same MAC address in another TART_HOME, or another sshd, uses this IP: give this VM its own MAC with `tart set $name --random-mac`)" : ''));
}
pipe(my $cr, my $cw) or fail("pipe: $!");
pipe(my $pr, my $pw) or fail("pipe: $!");
pipe(my $br, my $bw) or fail("pipe: $!");   # the anchor reports "booted" on it
my $guest = fork // fail("fork: $!");
if ($guest == 0) {
  close $cr; close $pw; close $br;
  syscall($S->{unshare}, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS) == -1 and fail("unshare guest: $!");
  syswrite $cw, 'u';
  sysread($pr, my $go, 1) == 1 or POSIX::_exit(71);
  close $pr; close $cw;
  guest_main();
  POSIX::_exit(0);
}
close $cw; close $pr; close $bw;
sysread($cr, my $u, 1) == 1 or fail('guest failed to start');
# One id less than the full range: pam_loginuid then knows it runs in a user namespace and tolerates
# the (forbidden) write to /proc/self/loginuid instead of failing the ssh session.
wfile_noscrub("/proc/$guest/uid_map", "0 0 4294967294\n");
wfile_noscrub("/proc/$guest/gid_map", "0 0 4294967294\n");
syswrite $pw, 'g'; close $pw; close $cr;
close $L if $L;
# Wait until the guest has booted (first-boot provisioning, injected boot delay): only then does
# `tart-sim run` publish the guest to `exec` (like a guest agent that starts late in the boot).
sysread($br, my $booted, 1) == 1 or fail('the guest failed to boot');
close $br;

# ---- 6. PID 1: reap orphans; SIGTERM = power off, SIGHUP = reboot --------------------------------
sub shutdown_guest {
  my ($code) = @_;
  kill 'TERM', -1;     # every other process of this PID namespace
  my $deadline = time + 2;
  while (time < $deadline) { my $p = waitpid(-1, POSIX::WNOHANG()); last if $p == -1; select(undef, undef, undef, 0.02) if $p == 0 }
  exit $code;          # PID 1 exiting makes the kernel SIGKILL whatever is left
}
$SIG{TERM} = sub { shutdown_guest(0) };
$SIG{HUP}  = sub { shutdown_guest(3) };
$SIG{INT}  = sub { shutdown_guest(0) };
$SIG{PIPE} = 'IGNORE';
print STDOUT "ready $guest\n";
close STDOUT;
open(STDOUT, '>', '/dev/null');
for (;;) { my $p = wait(); sleep 3600 if $p == -1 }

# ---- guest anchor (PID 2), inside its namespaces -------------------------------------------------
sub guest_main {
  $SIG{$_} = 'DEFAULT' for qw(TERM HUP INT);
  syscall($S->{sethostname}, $name, length $name) == -1 and fail("sethostname: $!");
  provision() unless -e '/etc/sim-provisioned';
  wfile('/etc/hostname', "$name\n", 0644);
  my $hosts = rfile('/etc/hosts');
  my $line = "$ip\t$name";
  if (index($hosts, "$line\n") < 0) { $hosts =~ s/^\Q$ip\E\t.*\n//mg; wfile('/etc/hosts', $hosts . "$line\n", 0644) }
  select(undef, undef, undef, $bootDelay / 1000) if $bootDelay > 0;
  syswrite $bw, 'b'; close $bw;
  open(STDIN, '<', '/dev/null'); open(STDOUT, '>', '/dev/null');
  $SIG{CHLD} = sub { 1 while waitpid(-1, POSIX::WNOHANG()) > 0 };
  unless ($L) { for (;;) { sleep 3600 } }
  listen($L, 128) or fail("cannot listen on $ip:22: $!" . ($!{EADDRINUSE} ? " (another VM or sshd uses this IP: give this VM its own MAC with `tart set $name --random-mac`)" : ""));
  for (;;) {
    my $c;
    unless (accept($c, $L)) { select(undef, undef, undef, 0.05) unless $!{EINTR}; next }
    my $pid = fork;
    if (defined $pid && $pid == 0) {
      $SIG{CHLD} = 'DEFAULT';
      close $L;
      open(STDIN, '<&', $c); open(STDOUT, '>&', $c); open(STDERR, '>>', '/run/sim/sshd.log'); close $c;
      exec '/usr/sbin/sshd', '-i', '-e', '-o', 'HostKey=/etc/ssh/ssh_host_ed25519_key', '-o', 'PidFile=none' or POSIX::_exit(127);
    }
    close $c;
  }
}

# First boot: what Tart's Linux images ship (admin/admin, passwordless sudo, fresh host keys). The
# host's own users show through the lower layer; whoever owns uid/gid 1000 there is dropped (in the
# guest only), so admin can be uid 1000 like in the images.
sub provision {
  my $salt = join '', map { ('a' .. 'z', 'A' .. 'Z', 0 .. 9, '.', '/')[rand 64] } 1 .. 16;
  my $hash = crypt('admin', "\$6\$$salt\$");
  my $drop = sub { my ($file, $idField, $extra) = @_; my @keep;
    for (split /\n/, rfile($file)) { my @f = split /:/, $_, -1;
      next if $f[0] eq 'admin' || (defined $idField && defined $f[$idField] && $f[$idField] eq '1000'); push @keep, $_ }
    wfile($file, join("\n", @keep, @$extra) . "\n", (stat $file)[2] // 0644) };
  my @gone = map { (split /:/)[0] } grep { ((split /:/, $_, -1)[2] // '') eq '1000' } split /\n/, rfile('/etc/passwd');
  $drop->('/etc/passwd', 2, ['admin:x:1000:1000:admin:/home/admin:/bin/bash']);
  $drop->('/etc/shadow', undef, ["admin:$hash:19000:0:99999:7:::"]);
  # the host's password hashes show through the lower layer: lock every other account in the guest
  wfile('/etc/shadow', join('', map { my @f = split /:/, $_, -1; $f[1] = '*' if $f[0] ne 'admin' && @f > 1; join(':', @f) . "\n" } split /\n/, rfile('/etc/shadow')), 0640);
  chown 0, (getgrnam('shadow'))[2] // 0, '/etc/shadow';
  my @groups;
  for (split /\n/, rfile('/etc/group')) { my @f = split /:/, $_, -1;
    next if $f[0] eq 'admin' || $f[2] eq '1000';
    my %gone = map { $_ => 1 } @gone, 'admin';
    my @mem = grep { length && !$gone{$_} } split /,/, ($f[3] // '');
    push @mem, 'admin' if $f[0] eq 'sudo';
    $f[3] = join ',', @mem; push @groups, join ':', @f }
  wfile('/etc/group', join("\n", @groups, 'admin:x:1000:') . "\n", 0644);
  $drop->('/etc/gshadow', undef, ['admin:!::']) if -e '/etc/gshadow';
  wfile('/etc/sudoers.d/admin', "admin ALL=(ALL) NOPASSWD:ALL\n", 0440);
  mkp('/home/admin/.ssh');
  for my $f (qw(.bashrc .profile .bash_logout)) { wfile("/home/admin/$f", rfile("/etc/skel/$f"), 0644) if -e "/etc/skel/$f" }
  wfile('/home/admin/.ssh/authorized_keys', '', 0600);
  chmod 0700, '/home/admin/.ssh'; chmod 0750, '/home/admin';
  chown 1000, 1000, '/home/admin', '/home/admin/.ssh', '/home/admin/.ssh/authorized_keys', map { "/home/admin/$_" } qw(.bashrc .profile .bash_logout);
  unlink glob('/etc/ssh/ssh_host_*');
  system('/usr/bin/ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', "root\@$name", '-f', '/etc/ssh/ssh_host_ed25519_key') == 0
    or fail('ssh-keygen failed');
  wfile('/etc/sim-provisioned', "provisioned by tart-sim for $name\n", 0644);
}
