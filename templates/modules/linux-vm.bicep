metadata name = 'Test VM'
metadata description = 'A small Ubuntu VM without public IP, to repeat the nc/ssh/traceroute checks across the hub.'

@export()
@description('A test VM without public IP, for nc/ssh/traceroute across the hub.')
type testVmType = {
  @description('Required. Name of the VM.')
  name: string

  @description('Required. Name of the virtual network the VM joins.')
  virtualNetworkName: string

  @description('Required. Name of the subnet the VM joins.')
  subnetName: string

  @description('Required. VM size.')
  size: string

  @description('Required. Admin user name.')
  adminUsername: string

  @description('Optional. Azure region of the VM, when its VNet is a branch in another region.')
  location: string?

  @description('Optional. Resource group of the VM\'s VNet, when not the hub\'s (a spoke or branch of its own group).')
  resourceGroup: string?

  @description('Optional. Subscription of the VM\'s VNet, when not the hub\'s.')
  subscriptionId: string?
}

@description('Required. Name of the VM; also its host name.')
param name string

@description('Required. Azure region of the VM and its NIC.')
param location string

@description('Optional. Tags put on the VM and its NIC.')
param tags object = {}

@description('Required. Resource ID of the subnet the NIC joins.')
param subnetResourceId string

@description('Required. VM size.')
param size string

@description('Required. Admin user name.')
param adminUsername string

@description('Required. SSH public key of the admin user.')
param sshPublicKey string

resource nic 'Microsoft.Network/networkInterfaces@2025-05-01' = {
  name: '${name}-nic'
  location: location
  tags: tags
  properties: {
    ipConfigurations: [
      {
        name: 'ipconfig1'
        properties: {
          privateIPAllocationMethod: 'Dynamic'
          subnet: {
            id: subnetResourceId
          }
        }
      }
    ]
  }
}

resource vm 'Microsoft.Compute/virtualMachines@2025-04-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    hardwareProfile: {
      vmSize: size
    }
    osProfile: {
      computerName: name
      adminUsername: adminUsername
      linuxConfiguration: {
        disablePasswordAuthentication: true
        ssh: {
          publicKeys: [
            {
              path: '/home/${adminUsername}/.ssh/authorized_keys'
              keyData: sshPublicKey
            }
          ]
        }
      }
    }
    storageProfile: {
      imageReference: {
        publisher: 'Canonical'
        offer: 'ubuntu-24_04-lts'
        sku: 'server'
        version: 'latest'
      }
      osDisk: {
        createOption: 'FromImage'
        deleteOption: 'Delete'
        managedDisk: {
          storageAccountType: 'StandardSSD_LRS'
        }
      }
    }
    networkProfile: {
      networkInterfaces: [
        {
          id: nic.id
          properties: {
            deleteOption: 'Delete'
          }
        }
      ]
    }
    diagnosticsProfile: {
      bootDiagnostics: {
        enabled: true
      }
    }
  }
}

@description('Resource ID of the VM.')
output resourceId string = vm.id

@description('Name of the VM.')
output name string = vm.name

@description('Private IP address of the VM.')
output privateIpAddress string = nic.properties.ipConfigurations[0].properties.privateIPAddress
