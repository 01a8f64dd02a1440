# fish completion for sandbox(1). Installed as
# $(PREFIX)/share/fish/vendor_completions.d/sandbox.fish.

# Profile names, as `sandbox list` finds them for this user.
function __sandbox_profiles
    set -l cmd (commandline -opc)
    command $cmd[1] list --names 2>/dev/null
end

# Desktop file ids of the installed applications.
function __sandbox_desktop_ids
    set -l home $XDG_DATA_HOME
    test -n "$home"; or set home $HOME/.local/share
    set -l dirs /usr/local/share /usr/share
    test -n "$XDG_DATA_DIRS"; and set dirs (string split : -- $XDG_DATA_DIRS)
    for f in $home/applications/*.desktop $dirs/applications/*.desktop
        string replace -r '.*/(.*)\.desktop$' '$1' -- $f
    end | sort -u
end

# Desktop file ids of the entries `sandbox desktop install` wrote.
function __sandbox_installed_ids
    set -l home $XDG_DATA_HOME
    test -n "$home"; or set home $HOME/.local/share
    for f in $home/applications/*.desktop
        grep -q '^X-Sandbox-Profile=' $f 2>/dev/null
        and string replace -r '.*/(.*)\.desktop$' '$1' -- $f
    end
end

# The ids and names of the running sandboxes `sandbox ps` lists.
function __sandbox_instances
    set -l cmd (commandline -opc)
    command $cmd[1] ps 2>/dev/null | awk 'NR > 1 { print $1; if ($2 != "-") print $2 }'
end

# True while the first argument is still to come: only there is a
# subcommand recognised.
function __sandbox_first_word
    set -l cmd (commandline -opc)
    test (count $cmd) -eq 1
end

# True while the options are being written: no command and no "--" yet.
function __sandbox_before_command
    set -l cmd (commandline -opc)
    set -e cmd[1]
    while set -q cmd[1]
        switch $cmd[1]
            case -p --profile --name --status-fd --bind --ro-bind --net --env
                set -e cmd[1]
            case --
                return 1
            case '-*'
            case '*'
                return 1
        end
        set -e cmd[1]
    end
    return 0
end

# True when the command line is `sandbox desktop ACTION ...`.
function __sandbox_desktop_action
    set -l cmd (commandline -opc)
    test (count $cmd) -ge 3; and test "$cmd[2]" = desktop; and contains -- "$cmd[3]" $argv
end

function __sandbox_desktop_needs_action
    set -l cmd (commandline -opc)
    test (count $cmd) -eq 2; and test "$cmd[2]" = desktop
end

function __sandbox_subcommand
    set -l cmd (commandline -opc)
    test (count $cmd) -ge 2; and contains -- "$cmd[2]" $argv
end

complete -c sandbox -f

# Running a command: the options, then the command with its own
# completion.
complete -c sandbox -n __sandbox_before_command -s p -l profile -x -a '(__sandbox_profiles)' -d 'Profile to run the command in'
complete -c sandbox -n __sandbox_before_command -l name -x -d 'Name the running sandbox (see sandbox ps)'
complete -c sandbox -n __sandbox_before_command -l status-fd -x -d 'Write JSON status lines to this descriptor'
complete -c sandbox -n __sandbox_before_command -s v -l verbose -d 'Also say what was left out'
complete -c sandbox -n __sandbox_before_command -s q -l quiet -d 'No warnings or notices'
complete -c sandbox -n __sandbox_before_command -l bind -r -F -d 'Bind a host path writable for this run'
complete -c sandbox -n __sandbox_before_command -l ro-bind -r -F -d 'Bind a host path read-only for this run'
complete -c sandbox -n __sandbox_before_command -l net -x -a 'none host nat filtered' -d 'Network mode for this run'
complete -c sandbox -n __sandbox_before_command -l env -x -a '(set -n)' -d 'Pass or set a variable for this run'
complete -c sandbox -n __sandbox_first_word -s h -l help -d 'Show the usage'
complete -c sandbox -n __sandbox_first_word -l version -d 'Show the version'
complete -c sandbox -n 'not __sandbox_subcommand check explain list which test export diff desktop ps enter stop help version doctor' \
    -x -a '(__fish_complete_subcommand -- -p --profile)'

# Subcommands.
complete -c sandbox -n __sandbox_first_word -a check -d 'Validate profiles'
complete -c sandbox -n __sandbox_first_word -a explain -d 'Show the effective profile and the launch plan'
complete -c sandbox -n __sandbox_first_word -a list -d 'List installed profiles'
complete -c sandbox -n __sandbox_first_word -a which -d 'Say which profile a program runs in, and why'
complete -c sandbox -n __sandbox_first_word -a export -d 'Write the sandbox for runc, crun, bubblewrap or systemd'
complete -c sandbox -n __sandbox_first_word -a diff -d 'Compare two compiled sandboxes'
complete -c sandbox -n __sandbox_first_word -a test -d "Run profiles' smoke tests"
complete -c sandbox -n __sandbox_first_word -a desktop -d 'Menu entries that start applications sandboxed'
complete -c sandbox -n __sandbox_first_word -a ps -d 'List running sandboxes'
complete -c sandbox -n __sandbox_first_word -a enter -d 'Run a command in a running sandbox'
complete -c sandbox -n __sandbox_first_word -a stop -d 'Stop a running sandbox'
complete -c sandbox -n __sandbox_first_word -a help -d 'Show the usage'
complete -c sandbox -n __sandbox_first_word -a version -d 'Show the version'
complete -c sandbox -n __sandbox_first_word -a doctor -d 'Check what a sandbox needs on this machine'

complete -c sandbox -n '__sandbox_subcommand check test explain' -a '(__sandbox_profiles)' -d Profile
complete -c sandbox -n '__sandbox_subcommand check test' -F
complete -c sandbox -n '__sandbox_subcommand explain' -l json -d 'Print the effective profile and the plan as JSON'
complete -c sandbox -n '__sandbox_subcommand explain' -l score -d 'Print the exposure summary and grade'
complete -c sandbox -n '__sandbox_subcommand which' -x -a '(__fish_complete_command)' -d Program
complete -c sandbox -n '__sandbox_subcommand which' -l json -d 'Print the choice as JSON'
complete -c sandbox -n '__sandbox_subcommand list' -l score -d "Show each profile's exposure and grade"
complete -c sandbox -n '__sandbox_subcommand diff' -a '(__sandbox_profiles)' -d Profile
complete -c sandbox -n '__sandbox_subcommand diff' -l json -d 'Print the changes as JSON'
complete -c sandbox -n '__sandbox_subcommand export' -a 'oci bwrap systemd (__sandbox_profiles)'
complete -c sandbox -n '__sandbox_subcommand export' -l allow-gaps -d 'Write even when a gap weakens isolation'

complete -c sandbox -n '__sandbox_subcommand ps' -l json -d 'Print the running sandboxes as JSON'
complete -c sandbox -n '__sandbox_subcommand doctor' -l json -d 'Print the findings as JSON'
complete -c sandbox -n '__sandbox_subcommand enter; and not contains -- -- (commandline -opc)' -x -a '(__sandbox_instances)' -d 'Running sandbox'
complete -c sandbox -n '__sandbox_subcommand enter; and contains -- -- (commandline -opc)' -x -a '(__fish_complete_subcommand --fcs-skip=4)'
complete -c sandbox -n '__sandbox_subcommand stop' -a '(__sandbox_instances)' -d 'Running sandbox'
complete -c sandbox -n '__sandbox_subcommand stop' -l timeout -x -d 'Seconds between SIGTERM and SIGKILL'

complete -c sandbox -n __sandbox_desktop_needs_action -a install -d 'Make the menu entry start the application sandboxed'
complete -c sandbox -n __sandbox_desktop_needs_action -a remove -d 'Undo desktop install'
complete -c sandbox -n __sandbox_desktop_needs_action -a audit -d 'List applications that start unsandboxed'
complete -c sandbox -n '__sandbox_desktop_action install' -a '(__sandbox_desktop_ids)' -d Application
complete -c sandbox -n '__sandbox_desktop_action install' -s p -l profile -x -a '(__sandbox_profiles)' -d 'Profile to run the application in'
complete -c sandbox -n '__sandbox_desktop_action install' -s f -l force -d 'Replace an entry of your own'
complete -c sandbox -n '__sandbox_desktop_action remove' -a '(__sandbox_installed_ids)' -d 'Installed application'
