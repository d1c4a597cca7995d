# -*- coding: utf-8 -*-
# Copyright: homelab.immich contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The attributes of the collection's actions that run in the controller process (validate_inputs, k8s_read,
    # k8s_apply); each module states its own diff_mode, and k8s_apply its connection.
    DOCUMENTATION = r'''
attributes:
  action:
    support: full
  async:
    support: none
  become:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  connection:
    support: none
  delegation:
    support: none
  platform:
    platforms: all
'''
