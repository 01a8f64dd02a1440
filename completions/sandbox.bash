# bash completion for sandbox(1)                          -*- shell-script -*-
#
# Installed as $(PREFIX)/share/bash-completion/completions/sandbox. Works
# with or without the bash-completion package; with it, the command after
# "--" is completed by that command's own completion.

# Profile names, as `sandbox list` finds them for this user.
_sandbox_profiles()
{
    local sandbox=${1:-sandbox}
    "$sandbox" list --names 2>/dev/null
}

# Desktop file ids of the installed applications (without ".desktop").
_sandbox_desktop_ids()
{
    local dirs dir f
    dirs="${XDG_DATA_HOME:-$HOME/.local/share}:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
    local IFS=:
    for dir in $dirs; do
        for f in "$dir"/applications/*.desktop; do
            [[ -e $f ]] || continue
            f=${f##*/}
            printf '%s\n' "${f%.desktop}"
        done
    done | sort -u
}

# Desktop file ids of the entries `sandbox desktop install` wrote.
_sandbox_installed_ids()
{
    local dir=${XDG_DATA_HOME:-$HOME/.local/share}/applications f
    for f in "$dir"/*.desktop; do
        [[ -e $f ]] && grep -q '^X-Sandbox-Profile=' "$f" 2>/dev/null || continue
        f=${f##*/}
        printf '%s\n' "${f%.desktop}"
    done
}

# The ids and names of the running sandboxes `sandbox ps` lists.
_sandbox_instances()
{
    local sandbox=${1:-sandbox}
    "$sandbox" ps 2>/dev/null | awk 'NR > 1 { print $1; if ($2 != "-") print $2 }'
}

# _sandbox_reply WORDS: the words (profile names, ids, options: none
# holds a blank) that start with $cur.
_sandbox_reply()
{
    local IFS=$' \t\n'
    COMPREPLY+=($(compgen -W "$1" -- "$cur"))
}

# _sandbox_raw_index INDEX: the index in COMP_WORDS of words[INDEX].
# _init_completion -s joins "--profile", "=" and "minimal", which bash
# split at "=", into one word, while _command_offset counts in bash's own
# words: given the joined index it would start the command at "=" and
# complete file names where a command belongs.
_sandbox_raw_index()
{
    local want=$1 k r=0 acc n=${#COMP_WORDS[@]}
    for ((k = 0; k < want && r < n; k++)); do
        acc=${COMP_WORDS[r]}
        ((r++))
        while [[ $acc != "${words[k]}" ]] && ((r < n && ${#acc} < ${#words[k]})); do
            acc+=${COMP_WORDS[r]}
            ((r++))
        done
    done
    echo "$r"
}

# The command after "--" or after the options: its own completion when
# bash-completion provides one, else commands then files.
_sandbox_command()
{
    local offset=$1
    if declare -F _command_offset >/dev/null; then
        _command_offset "$(_sandbox_raw_index "$offset")"
    elif ((cword == offset)); then
        local IFS=$'\n'
        COMPREPLY=($(compgen -c -- "$cur"))
    else
        local IFS=$'\n'
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

_sandbox()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion -s || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${words[cword]}
        prev=${words[cword - 1]}
        # bash splits "--profile=NAME" into three words at "=", and the
        # text to replace is what follows "=": complete it as the value
        # of the option, as _init_completion -s does.
        if [[ $cur == = ]]; then
            cur=
        elif [[ $prev == = ]]; then
            prev=${words[cword - 2]}
        fi
    fi
    local sandbox=${words[0]}
    COMPREPLY=()

    case $prev in
        -p | --profile)
            _sandbox_reply "$(_sandbox_profiles "$sandbox")"
            return
            ;;
        --name | --status-fd)
            return
            ;;
        --bind | --ro-bind)
            local IFS=$'\n'
            COMPREPLY=($(compgen -f -- "$cur"))
            compopt -o filenames 2>/dev/null
            return
            ;;
        --net)
            _sandbox_reply "none host nat filtered"
            return
            ;;
        --env)
            local IFS=$'\n'
            COMPREPLY=($(compgen -v -- "$cur"))
            return
            ;;
    esac

    # Walk the words before the cursor: options, then a subcommand (only
    # as the first word and without -p) or the command to run.
    local i word profile_given=
    for ((i = 1; i < cword; i++)); do
        word=${words[i]}
        case $word in
            -p | --profile)
                profile_given=1
                ((i++))
                [[ ${words[i]} == = ]] && ((i++))
                ;;
            --profile=*) profile_given=1 ;;
            --name | --status-fd | --bind | --ro-bind | --net | --env)
                ((i++))
                [[ ${words[i]} == = ]] && ((i++))
                ;;
            --)
                _sandbox_command $((i + 1))
                return
                ;;
            -*) ;;
            *)
                if [[ -z $profile_given && $i -eq 1 ]]; then
                    _sandbox_subcommand "$word" $((i + 1))
                else
                    _sandbox_command "$i"
                fi
                return
                ;;
        esac
    done

    if [[ $cur == -* ]]; then
        _sandbox_reply "-p --profile -v --verbose -q --quiet --name --status-fd --bind --ro-bind --net --env --help --version --"
    elif [[ -z $profile_given && $cword -eq 1 ]]; then
        _sandbox_reply "check explain list which test export diff desktop ps enter stop help version doctor"
        local IFS=$'\n'
        COMPREPLY+=($(compgen -c -- "$cur"))
    else
        _sandbox_command "$cword"
    fi
}

# _sandbox_subcommand NAME FIRST: complete the arguments of a subcommand
# whose first argument is words[FIRST].
_sandbox_subcommand()
{
    local sub=$1 first=$2 i
    case $sub in
        check | test)
            _sandbox_reply "$(_sandbox_profiles "$sandbox")"
            local IFS=$'\n'
            COMPREPLY+=($(compgen -f -X '!*.toml' -- "$cur") $(compgen -d -- "$cur"))
            ;;
        explain)
            for ((i = first; i < cword; i++)); do
                if [[ ${words[i]} == -- ]]; then
                    _sandbox_command $((i + 1))
                    return
                fi
            done
            _sandbox_reply "--json --score -- $(_sandbox_profiles "$sandbox")"
            ;;
        list)
            _sandbox_reply "--score --names"
            ;;
        which)
            _sandbox_reply "--json"
            local IFS=$'\n'
            COMPREPLY+=($(compgen -c -- "$cur"))
            ;;
        diff)
            _sandbox_reply "--json -- $(_sandbox_profiles "$sandbox")"
            local IFS=$'\n'
            COMPREPLY+=($(compgen -f -X '!*.toml' -- "$cur") $(compgen -d -- "$cur"))
            ;;
        export)
            if ((cword == first)); then
                _sandbox_reply "oci bwrap systemd"
            elif [[ $cur == -* ]]; then
                _sandbox_reply "--allow-gaps -0 -o --"
            else
                _sandbox_reply "$(_sandbox_profiles "$sandbox")"
                local IFS=$'\n'
                COMPREPLY+=($(compgen -d -- "$cur"))
            fi
            ;;
        ps)
            _sandbox_reply "--json"
            ;;
        doctor)
            _sandbox_reply "--json"
            ;;
        enter)
            for ((i = first; i < cword; i++)); do
                if [[ ${words[i]} == -- ]]; then
                    _sandbox_command $((i + 1))
                    return
                fi
            done
            if ((cword == first)); then
                _sandbox_reply "$(_sandbox_instances "$sandbox")"
            else
                _sandbox_reply "--"
            fi
            ;;
        stop)
            [[ $prev == --timeout ]] && return
            if [[ $cur == -* ]]; then
                _sandbox_reply "--timeout"
            else
                _sandbox_reply "$(_sandbox_instances "$sandbox")"
            fi
            ;;
        desktop)
            if ((cword == first)); then
                _sandbox_reply "install remove audit"
                return
            fi
            case ${words[first]} in
                install)
                    if [[ $cur == -* ]]; then
                        _sandbox_reply "-p --profile --force"
                    else
                        _sandbox_reply "$(_sandbox_desktop_ids)"
                    fi
                    ;;
                remove)
                    _sandbox_reply "$(_sandbox_installed_ids)"
                    ;;
            esac
            ;;
    esac
}

complete -F _sandbox sandbox
